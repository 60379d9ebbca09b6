/** A short system list (admins, services, tables) fetched whole, then filtered, sorted and paged in the browser. */
import { filterRows, pageRows, pageStart, sortRows } from '../listing'
import type { Sort } from '../listQuery'
import { notifyError, notifySuccess, reportFailure } from './toasts.svelte'

export class ClientList<T extends object> {
  items = $state.raw<T[]>([])
  loading = $state(true)
  search = $state('')
  sort = $state<Sort | null>(null)
  offset = $state(0)
  limit = $state(25)
  /** Why the last fetch failed, or null: an empty list that could not be read must not read as "none yet". */
  failed = $state<string | null>(null)
  /** How many actions have changed the items; a page watches it to keep focus when an acted-on row goes. */
  changes = $state(0)
  readonly #keys: readonly (keyof T)[]
  readonly filtered = $derived.by(() => sortRows(filterRows(this.items, this.search, this.#keys), this.sort))
  readonly shown = $derived(pageRows(this.filtered, this.offset, this.limit))

  /** `keys` are the fields the search box looks in. */
  constructor(keys: readonly (keyof T)[], limit = 25) {
    this.#keys = keys
    this.limit = limit
  }

  /** Replace the items with a fresh fetch; a failure is shown as a toast and kept in `failed`. */
  async load(fetch: () => Promise<T[]>): Promise<void> {
    this.loading = true
    try {
      this.items = await fetch()
      this.failed = null
    } catch (error) {
      this.failed = reportFailure(error)
    } finally {
      this.loading = false
    }
  }

  /**
   * Run a change to the items, say it worked (or why not) and fetch them again. Every action of a list page
   * goes through here. `done` is the success message, or makes it from the result (null: no message, as
   * when the result is shown otherwise, like a rotated key). Resolves with the result, or undefined.
   */
  async act<R>(
    action: () => Promise<R>,
    done: string | ((result: R) => string | null),
    fetch: () => Promise<T[]>,
  ): Promise<R | undefined> {
    let result: R
    try {
      result = await action()
    } catch (error) {
      notifyError(error)
      return undefined
    }
    const message = typeof done === 'string' ? done : done(result)
    if (message) notifySuccess(message)
    await this.load(fetch)
    this.changes += 1
    return result
  }

  /**
   * Where a row can be seen, in the current sort and page size: the search to show it under (the current
   * one, or none when that one hides the row) and the offset of the page that holds it; null when the
   * list does not hold it.
   */
  placeOf(match: (row: T) => boolean): { filter: string; offset: number } | null {
    const shown = this.filtered.findIndex(match)
    if (shown >= 0) return { filter: this.search, offset: pageStart(shown, this.limit) }
    const unfiltered = sortRows(this.items, this.sort).findIndex(match)
    return unfiltered < 0 ? null : { filter: '', offset: pageStart(unfiltered, this.limit) }
  }

  /** Show another page, or another page size from the first page. */
  page(offset: number, limit: number): void {
    this.offset = offset
    this.limit = limit
  }
}
