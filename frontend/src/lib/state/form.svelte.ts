/** The state of one form: busy flag and the server's messages placed on its fields. */
import { ApiError, type FieldErrors } from '../api/client'
import { placeErrors, type KeyNormalizer } from '../forms'
import { notifyError } from './toasts.svelte'

export class FormState {
  errors = $state<FieldErrors>({})
  busy = $state(false)
  readonly #fields: () => readonly string[]
  readonly #normalize: KeyNormalizer | undefined

  /**
   * `fields` lists the names the form shows, dotted for nested ones (`config.port`); `normalize` maps the
   * server's keys to them where they differ (`access.0.verbs` to `access[0].verbs`).
   */
  constructor(fields: () => readonly string[], normalize?: KeyNormalizer) {
    this.#fields = fields
    this.#normalize = normalize
  }

  /** Run the action; on failure place field messages and toast the rest. Resolves undefined on failure. */
  async submit<T>(action: () => Promise<T>): Promise<T | undefined> {
    this.errors = {}
    this.busy = true
    try {
      return await action()
    } catch (error) {
      this.fail(error)
      return undefined
    } finally {
      this.busy = false
    }
  }

  /** Show an error: per-field messages on their fields, anything else as a toast with the request id. */
  fail(error: unknown): void {
    const { fields, unplaced } = placeErrors(error, this.#fields(), this.#normalize)
    this.errors = fields
    if (Object.keys(fields).length === 0) {
      notifyError(error)
    } else if (unplaced.length > 0 && error instanceof ApiError) {
      notifyError(new ApiError(error.status, unplaced.join('; '), error.context, error.requestId))
    }
  }

  /**
   * Show the messages of the browser's own checks; true when there are none and the form may be sent.
   * The platform checks again: its messages replace these on the same fields.
   */
  accept(errors: FieldErrors): boolean {
    this.errors = errors
    return Object.keys(errors).length === 0
  }

  /** Forget the message of a field (and of the parts inside it: `access[0]` takes `access[0].verbs`). */
  clear(field: string): void {
    const inside = (key: string) => key === field || key.startsWith(`${field}.`) || key.startsWith(`${field}[`)
    if (!Object.keys(this.errors).some(inside)) return
    this.errors = Object.fromEntries(Object.entries(this.errors).filter(([key]) => !inside(key)))
  }

  /**
   * For the form's `oninput`: a field that is edited loses its message, so a fixed value no longer reads
   * as wrong. The field is the nearest `data-field` around the control (Field sets it to its name).
   */
  readonly edited = (event: Event): void => {
    const holder = (event.target as Element | null)?.closest?.('[data-field]') as HTMLElement | null
    if (holder?.dataset.field) this.clear(holder.dataset.field)
  }

  /** Forget the messages, e.g. when the form is reopened. */
  reset(): void {
    this.errors = {}
  }
}
