/** What an edit page edits: loaded once (nothing for a new item), or why it could not be. */
import { ApiError } from '../api/client'
import { notifyError } from './toasts.svelte'

export class Editing<T> {
  item = $state.raw<T | null>(null)
  ready = $state(false)
  failure = $state<string | null>(null)

  /** Load the item; `fetch` resolves null for a new one. A 4xx (say, a deleted item) is shown in place. */
  async load(fetch: () => Promise<T | null>): Promise<void> {
    try {
      this.item = await fetch()
      this.ready = true
    } catch (error) {
      if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 401) {
        this.failure = error.message
      } else {
        this.failure = 'It could not be loaded.'
        notifyError(error)
      }
    }
  }
}
