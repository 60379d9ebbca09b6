/**
 * Placing the server's validation messages (`context.errors`, DESIGN §6) on form fields. Nested config
 * fields arrive with dotted names (`config.port`); a message for a field the form does not show must not
 * be lost, so it is handed back as unplaced and shown elsewhere.
 */
import { ApiError, type FieldErrors } from './api/client'

export interface Placement {
  /** Messages for fields the form shows, by field name. */
  fields: FieldErrors
  /** Messages for anything else, as "field: message" lines. */
  unplaced: string[]
}

/** Split an error's field messages into those the form can show and the rest. */
export function placeErrors(error: unknown, shown: readonly string[]): Placement {
  const errors = error instanceof ApiError ? error.fieldErrors : {}
  const known = new Set(shown)
  const placement: Placement = { fields: {}, unplaced: [] }
  for (const [field, message] of Object.entries(errors)) {
    if (known.has(field)) placement.fields[field] = message
    else placement.unplaced.push(field === 'body' ? message : `${field}: ${message}`)
  }
  return placement
}
