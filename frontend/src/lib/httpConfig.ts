/**
 * The editors of a remote HTTP service's `auth` and fixed `headers` (DESIGN §5), drawn from the type's
 * `config_schema`: which kinds there are and which keys each kind needs come from the description.
 *
 * A stored secret reads back as the mask. The form shows an empty password input for it and sends the mask
 * back unless a new value was typed, so the platform keeps it — or refuses with its own message when the
 * base URL changed, since a secret must then be typed again. Under another auth kind a stored secret is
 * not offered at all (the platform's rule too): its input starts empty and must be filled.
 */
import { SECRET_MASK, type ConfigFieldSpec } from './api/services'

export interface AuthDraft {
  editor: 'auth'
  kind: string
  /** Typed values by key; secrets start empty. */
  values: Record<string, string>
  /** Secret keys with a stored value on the platform. */
  stored: Record<string, boolean>
  /** The kind those secrets were stored for: another kind needs its secret typed (the platform's rule). */
  storedKind: string
}

export interface HeaderRow {
  name: string
  value: string
  secret: boolean
  /** A secret value stored on the platform: left empty, it is kept. */
  stored: boolean
}

export interface HeadersDraft {
  editor: 'headers'
  rows: HeaderRow[]
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  Boolean(value) && typeof value === 'object' && !Array.isArray(value)

/** Whether a field is an auth object: keys of its own, one of them a `kind` with choices. */
export function isAuthSpec(spec: ConfigFieldSpec): boolean {
  return spec.type === 'object' && Boolean(spec.fields?.some((f) => f.name === 'kind' && f.choices))
}

/** Whether a field is a list of headers: items with a name, a value and a secret flag. */
export function isHeadersSpec(spec: ConfigFieldSpec): boolean {
  const names = new Set((spec.items ?? []).map((f) => f.name))
  return spec.type === 'list' && ['name', 'value', 'secret'].every((n) => names.has(n))
}

/** The auth kinds the platform offers. */
export function authKinds(spec: ConfigFieldSpec): string[] {
  return spec.fields?.find((f) => f.name === 'kind')?.choices ?? []
}

/** The kinds a key is for, from its description ("For kinds header and query"). */
function kindsOf(field: ConfigFieldSpec): string[] {
  const match = /\bfor kinds?\s+(.+)$/i.exec(field.description ?? '')
  return match ? match[1].split(/,|\s+and\s+|\s+or\s+/).map((k) => k.trim()) : []
}

/** The keys one auth kind needs, in the schema's order. */
export function authFieldsFor(spec: ConfigFieldSpec, kind: string): ConfigFieldSpec[] {
  return (spec.fields ?? []).filter((f) => f.name !== 'kind' && kindsOf(f).includes(kind))
}

/** The auth editor's starting state: the stored (or default) kind and keys, secrets left out. */
export function authDraft(spec: ConfigFieldSpec, value: unknown): AuthDraft {
  const auth = isRecord(value) ? value : {}
  const fallback = spec.fields?.find((f) => f.name === 'kind')?.default
  const kind = String(auth.kind ?? fallback ?? authKinds(spec)[0] ?? '')
  const draft: AuthDraft = { editor: 'auth', kind, values: {}, stored: {}, storedKind: kind }
  for (const field of spec.fields ?? []) {
    if (field.name === 'kind') continue
    const given = auth[field.name]
    draft.values[field.name] = field.secret || given == null ? '' : String(given)
    if (field.secret) draft.stored[field.name] = Boolean(given)
  }
  return draft
}

/** Whether a stored secret is kept when left empty: only while the kind is the one it was stored for. */
export function keepsStored(draft: AuthDraft, key: string): boolean {
  return Boolean(draft.stored[key]) && draft.kind === draft.storedKind
}

/** The auth object to send: the kind and only the keys it needs; an untouched stored secret as the mask. */
export function authValue(spec: ConfigFieldSpec, draft: AuthDraft): Record<string, string> {
  const auth: Record<string, string> = { kind: draft.kind }
  for (const field of authFieldsFor(spec, draft.kind)) {
    const typed = draft.values[field.name] ?? ''
    if (field.secret && typed === '') {
      if (keepsStored(draft, field.name)) auth[field.name] = SECRET_MASK
    } else if (field.secret || typed.trim() !== '') {
      auth[field.name] = field.secret ? typed : typed.trim()
    }
  }
  return auth
}

/** The headers editor's starting rows; a secret value is left out of the form. */
export function headersDraft(value: unknown): HeadersDraft {
  const rows = (Array.isArray(value) ? value : []).filter(isRecord).map((h) => {
    const secret = h.secret === true
    return { name: String(h.name ?? ''), value: secret ? '' : String(h.value ?? ''), secret, stored: secret && Boolean(h.value) }
  })
  return { editor: 'headers', rows }
}

/** The headers to send (blank rows dropped), or an error message. */
export function headersValue(draft: HeadersDraft): { value?: { name: string; value: string; secret: boolean }[]; error?: string } {
  const value = []
  for (const row of draft.rows) {
    const name = row.name.trim()
    if (!name && !row.value) continue
    if (!name) return { error: 'Give every header a name' }
    const kept = row.secret && row.stored && row.value === ''
    value.push({ name, value: kept ? SECRET_MASK : row.value, secret: row.secret })
  }
  return { value }
}
