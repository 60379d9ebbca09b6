/**
 * Service config forms, rendered from the type's `config_schema` (DESIGN §5, §8).
 *
 * Secrets never enter the form: the platform sends `**********` for a stored secret, the form shows an empty
 * password input, and the payload carries the secret only when it was typed again — so an edit that does
 * not touch it keeps the stored value. Integers are sent as numbers when they look like one and as typed
 * otherwise, so the platform's message lands on the field rather than being guessed here.
 *
 * A remote HTTP service's `auth` and `headers` have editors of their own (httpConfig.ts). Any other
 * structured field (a list, a JSON value, an object with its own fields) is edited as JSON only. A secret
 * inside it comes back as the mask, and sending the mask back keeps it.
 */
import type { FieldErrors } from './api/client'
import { SECRET_MASK, type ConfigFieldSpec, type ServiceConfig } from './api/services'
import { authDraft, authValue, headersDraft, headersValue, isAuthSpec, isHeadersSpec, type AuthDraft, type HeadersDraft } from './httpConfig'

export interface OptionRow {
  key: string
  value: string
}

export interface ObjectDraft {
  mode: 'rows' | 'json'
  rows: OptionRow[]
  json: string
  /** A structured field's JSON: a list (`array`), or any value where text that is no JSON is a string. */
  shape?: 'object' | 'array' | 'value'
}

export type DraftValue = string | ObjectDraft | AuthDraft | HeadersDraft

export interface ConfigDraft {
  values: Record<string, DraftValue>
  /** Secret fields that have a stored value on the platform. */
  stored: Record<string, boolean>
}

function objectDraft(value: unknown): ObjectDraft {
  const object = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
  const rows = Object.entries(object).map(([key, v]) => ({ key, value: String(v) }))
  return { mode: 'rows', rows, json: JSON.stringify(object, null, 2) }
}

/** Whether a field is edited as JSON only: a list, a JSON value, or an object with fields of its own. */
export function isStructured(spec: ConfigFieldSpec): boolean {
  return spec.type === 'list' || spec.type === 'json' || (spec.type === 'object' && Boolean(spec.fields))
}

function structuredDraft(spec: ConfigFieldSpec, value: unknown): ObjectDraft {
  const shape = spec.type === 'list' ? 'array' : spec.type === 'json' ? 'value' : 'object'
  const json = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value, null, 2)
  return { mode: 'json', rows: [], json, shape }
}

/** The form's starting values: from the service being edited, else from each field's default. */
export function initialDraft(schema: readonly ConfigFieldSpec[], config: ServiceConfig | null): ConfigDraft {
  const draft: ConfigDraft = { values: {}, stored: {} }
  for (const spec of schema) {
    // A field the stored config leaves out has its default's effect, so the form shows that default (an
    // "API docs" select is never blank for a service made before the field existed).
    const value = config?.[spec.name] ?? spec.default
    if (isAuthSpec(spec)) {
      draft.values[spec.name] = authDraft(spec, value)
    } else if (isHeadersSpec(spec)) {
      draft.values[spec.name] = headersDraft(value)
    } else if (isStructured(spec)) {
      draft.values[spec.name] = structuredDraft(spec, value)
    } else if (spec.type === 'object') {
      draft.values[spec.name] = objectDraft(value)
    } else if (spec.secret) {
      draft.values[spec.name] = ''
      draft.stored[spec.name] = Boolean(config && value)
    } else {
      draft.values[spec.name] = value === undefined || value === null ? '' : String(value)
    }
  }
  return draft
}

/** The object an options editor stands for, or an error message. */
export function objectValue(draft: ObjectDraft): { value?: Record<string, string>; error?: string } {
  if (draft.mode === 'rows') {
    const value: Record<string, string> = {}
    for (const row of draft.rows) if (row.key.trim()) value[row.key.trim()] = row.value
    return { value }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(draft.json.trim() || '{}')
  } catch {
    return { error: 'is not valid JSON' }
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: 'must be a JSON object' }
  return { value: parsed as Record<string, string> }
}

/** The value a structured field's JSON stands for (undefined when empty), or an error message. */
export function structuredValue(draft: ObjectDraft): { value?: unknown; error?: string } {
  const text = draft.json.trim()
  if (!text) return {}
  // A JSON-valued field (an OpenAPI document) may also be a URL: text that is no JSON is sent as it is.
  if (draft.shape === 'value' && !/^[[{"]/.test(text)) return { value: text }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { error: 'is not valid JSON' }
  }
  if (draft.shape === 'array' && !Array.isArray(parsed)) return { error: 'must be a JSON list' }
  if (draft.shape === 'object' && (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))) return { error: 'must be a JSON object' }
  return { value: parsed }
}

function scalar(spec: ConfigFieldSpec, text: string): unknown {
  if (spec.type === 'integer' && /^\s*-?\d+\s*$/.test(text)) return Number(text)
  return spec.type === 'integer' ? text.trim() : text
}

/**
 * The config to send. On create, empty fields are left out; on edit they are sent as null (cleared).
 * Secrets are sent only when typed. Errors found before sending are keyed like the platform's (`config.x`).
 */
export function buildConfig(
  schema: readonly ConfigFieldSpec[],
  draft: ConfigDraft,
  editing: boolean,
): { config: ServiceConfig; errors: FieldErrors } {
  const config: ServiceConfig = {}
  const errors: FieldErrors = {}
  for (const spec of schema) {
    const value = draft.values[spec.name]
    if (typeof value === 'object' && 'editor' in value) {
      const result: { value?: unknown; error?: string } = value.editor === 'auth' ? { value: authValue(spec, value) } : headersValue(value)
      if (result.error) errors[`config.${spec.name}`] = result.error
      else config[spec.name] = result.value
    } else if (typeof value === 'object' && value.shape) {
      const result = structuredValue(value)
      if (result.error) errors[`config.${spec.name}`] = result.error
      else if (result.value !== undefined) config[spec.name] = result.value
      else if (editing) config[spec.name] = null
    } else if (typeof value === 'object') {
      const result = objectValue(value)
      if (result.error) errors[`config.${spec.name}`] = result.error
      else config[spec.name] = result.value
    } else if (spec.secret) {
      // Never send the mask by accident: it would mean "keep", which is already what leaving it out does.
      if (value && value !== SECRET_MASK) config[spec.name] = value
    } else if (value.trim() !== '') {
      config[spec.name] = scalar(spec, value)
    } else if (editing) {
      config[spec.name] = null
    }
  }
  return { config, errors }
}

/**
 * The required config fields left empty, keyed like the platform's messages (`config.database`). A stored
 * secret counts as given: leaving it empty keeps it.
 */
export function requiredConfig(schema: readonly ConfigFieldSpec[], draft: ConfigDraft): FieldErrors {
  const errors: FieldErrors = {}
  for (const spec of schema) {
    const value = draft.values[spec.name]
    if (!spec.required || typeof value === 'object' || draft.stored[spec.name]) continue
    if (!value.trim()) errors[`config.${spec.name}`] = spec.choices ? `Choose the ${spec.label.toLowerCase()}` : `Enter the ${spec.label.toLowerCase()}`
  }
  return errors
}

/** The form field a platform message is shown on: `config.auth.token` and `config.headers[0].value` on theirs. */
export const configFieldOf = (key: string): string => key.replace(/^(config\.\w+)[.[].*$/, '$1')
