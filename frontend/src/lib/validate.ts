/**
 * Checks run in the browser before a form is sent, so an empty or malformed field is named at once instead
 * of after a round trip. The platform stays the authority: it checks everything again, and its messages
 * land on the same fields. The words are the platform's own (api/body.py): "Enter a name".
 */
import type { FieldErrors } from './api/client'

/** A check of one value: its message, or undefined when the value is fine. */
export type Rule = (value: unknown) => string | undefined

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value))

/** The platform's rule for a password's length (models.PASSWORD_MIN_LENGTH). */
export const PASSWORD_MIN_LENGTH = 12
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/
const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/

export const required =
  (noun: string): Rule =>
  (value) =>
    text(value).trim() ? undefined : `Enter ${noun}`

/** A select that must have a choice: "Choose an app". */
export const chosen =
  (noun: string): Rule =>
  (value) =>
    text(value).trim() ? undefined : `Choose ${noun}`

export const email: Rule = (value) =>
  !text(value).trim() || EMAIL.test(text(value).trim()) ? undefined : 'Enter an e-mail address such as name@example.com'

export const password: Rule = (value) =>
  !text(value) || text(value).length >= PASSWORD_MIN_LENGTH ? undefined : `Use at least ${PASSWORD_MIN_LENGTH} characters`

export const serviceName: Rule = (value) =>
  !text(value) || SERVICE_NAME.test(text(value).trim())
    ? undefined
    : "Use lower-case letters, digits, '-' or '_', starting with a letter or digit (at most 63)"

export const wholeNumber =
  (min: number, max: number): Rule =>
  (value) => {
    const raw = text(value).trim()
    if (!raw) return undefined
    const n = Number(raw)
    return /^-?\d+$/.test(raw) && n >= min && n <= max ? undefined : `Enter a whole number from ${min} to ${max}`
  }

export const maxLength =
  (n: number): Rule =>
  (value) =>
    text(value).length <= n ? undefined : `Use at most ${n} characters`

/** The first message of each field's rules, for the fields that have one. */
export function check(values: Record<string, unknown>, rules: Record<string, readonly Rule[]>): FieldErrors {
  const errors: FieldErrors = {}
  for (const [field, fieldRules] of Object.entries(rules)) {
    for (const rule of fieldRules) {
      const message = rule(values[field])
      if (message) {
        errors[field] = message
        break
      }
    }
  }
  return errors
}
