/**
 * Logging in again without leaving the page. When the session ends (it expired, or was revoked) while a
 * form is open, the platform's 401 does not take the admin to the login page, which would throw the typed
 * form away: the Relogin dialog asks for the same account's password over the page, and every request that
 * met the 401 waits for the answer and is sent again once logged in (lib/api/client). With no form open,
 * or when the admin cancels, the session ends as it always did and the login page says why.
 *
 * Nothing typed is copied anywhere: the form stays on screen, in memory, and the password goes only to the
 * login request.
 */
import type { SessionKind } from '../api/session'

export interface Question {
  /** The account whose session ended: only it may carry on with the form. */
  email: string
  kind: SessionKind
}

class Relogin {
  /** The question on screen, or null. */
  asking = $state<Question | null>(null)
  #forms = 0
  #answer: Promise<boolean> | null = null
  #resolve: ((loggedIn: boolean) => void) | null = null

  /** Whether a form is open, so that an ended session asks for the password rather than leaving the page. */
  get formOpen(): boolean {
    return this.#forms > 0
  }

  /** Mark a form open until the returned function is called (for onMount, which calls it on destroy). */
  holdForm(): () => void {
    this.#forms += 1
    let held = true
    return () => {
      if (held) this.#forms -= 1
      held = false
    }
  }

  /**
   * Ask for the password of the account whose session ended; resolves true once it is logged in again,
   * false when the admin cancels. Every caller waiting meanwhile gets the same answer from one question.
   */
  ask(question: Question): Promise<boolean> {
    if (this.#answer) return this.#answer
    this.asking = question
    this.#answer = new Promise((resolve) => (this.#resolve = resolve))
    return this.#answer
  }

  /**
   * What a 401 leads to (the API client's onUnauthorized). `who` is the account of the ended session (null
   * when there is none left): with a form open, or the question already on screen, ask and resolve true
   * once logged in again; otherwise, or when the admin cancels, `end` the session and resolve false.
   */
  async unauthorized(who: Question | null, end: () => void): Promise<boolean> {
    if (who && (this.formOpen || this.asking) && (await this.ask(who))) return true
    end()
    return false
  }

  /** Close the question: true after a login, false when cancelled. */
  settle(loggedIn: boolean): void {
    const resolve = this.#resolve
    this.asking = null
    this.#answer = null
    this.#resolve = null
    resolve?.(loggedIn)
  }
}

export const relogin = new Relogin()
