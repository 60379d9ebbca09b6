/**
 * An API key the platform returned once (on create or rotate, DESIGN §4). It lives only here, only until
 * the dialog showing it is closed: it never enters a list, a store or the URL, so closing the dialog is
 * the last time anyone sees it.
 */

export interface Shown {
  appName: string
  key: string
  /** What just happened: 'created' or 'rotated'. */
  event: 'created' | 'rotated'
}

export type CopyState = 'idle' | 'copied' | 'failed'

export class OneTimeKey {
  shown = $state<Shown | null>(null)
  copy = $state<CopyState>('idle')

  /** Show a key that was just issued; any key shown before is forgotten. */
  show(appName: string, key: string, event: Shown['event']): void {
    this.shown = { appName, key, event }
    this.copy = 'idle'
  }

  /** Put the key on the clipboard; the dialog says whether that worked, and the key stays selectable. */
  async copyKey(write: (text: string) => Promise<void>): Promise<void> {
    if (!this.shown) return
    try {
      await write(this.shown.key)
      this.copy = 'copied'
    } catch {
      this.copy = 'failed'
    }
  }

  /** The admin copied the key themselves (a copy event on the selected key counts as copying). */
  copiedByHand(): void {
    if (this.shown) this.copy = 'copied'
  }

  /**
   * Close on Escape or ×: once closed the key is gone, so unless it was copied, `confirm` asks first.
   * Resolves whether the dialog closed.
   */
  async dismiss(confirm: () => Promise<boolean>): Promise<boolean> {
    if (!this.shown) return true
    if (this.copy !== 'copied' && !(await confirm())) return false
    this.close()
    return true
  }

  /** Close the dialog and forget the key for good. */
  close(): void {
    this.shown = null
    this.copy = 'idle'
  }
}
