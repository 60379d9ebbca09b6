/**
 * Placing the server's validation messages (`context.errors`, DESIGN §6) on form fields. Nested config
 * fields arrive with dotted names (`config.port`); a message for a field the form does not show must not
 * be lost, so it is handed back as unplaced and shown elsewhere.
 */
import { tick } from 'svelte'
import { ApiError, type FieldErrors } from './api/client'

export interface Placement {
  /** Messages for fields the form shows, by field name. */
  fields: FieldErrors
  /** Messages for anything else, as "field: message" lines. */
  unplaced: string[]
}

/** A form's mapping of the server's key for a field to the name it shows the field under. */
export type KeyNormalizer = (key: string) => string

/**
 * Split an error's field messages into those the form can show and the rest. With `normalize`, server
 * keys are first brought to the form's names; messages that land on one field are joined.
 */
export function placeErrors(error: unknown, shown: readonly string[], normalize?: KeyNormalizer): Placement {
  const errors = error instanceof ApiError ? error.fieldErrors : {}
  const known = new Set(shown)
  const placement: Placement = { fields: {}, unplaced: [] }
  for (const [key, message] of Object.entries(errors)) {
    const field = normalize ? normalize(key) : key
    if (!known.has(field)) placement.unplaced.push(key === 'body' ? message : `${key}: ${message}`)
    else placement.fields[field] = placement.fields[field] ? `${placement.fields[field]}; ${message}` : message
  }
  return placement
}

/** A normalizer for forms with list fields: `origins.0` and `origins[0]` are shown on `origins`. */
export const listItemsToList: KeyNormalizer = (key) => key.replace(/(?:\.\d+|\[\d+\])+$/, '')

/** Dotted list indexes in bracket form: `app_roles.0.app_id` becomes `app_roles[0].app_id`. */
export const bracketIndexes: KeyNormalizer = (key) => key.replace(/\.(\d+)(?=\.|\[|$)/g, '[$1]')

/** A list typed in a textarea: one item per line (commas separate too), trimmed, empty lines dropped. */
export function textToList(text: string): string[] {
  return text.split(/[\n,]/).map((item) => item.trim()).filter(Boolean)
}

/** Bring the first field marked invalid into view and focus, once the messages are drawn. */
export async function focusFirstError(form: HTMLElement | undefined): Promise<void> {
  await tick()
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
}
