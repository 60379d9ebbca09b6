/**
 * The role form's model: drafts of a role and its access entries as the editor holds them, their
 * serialisation to the platform's role shape (DESIGN §4), and the placing of the platform's messages on
 * the entry and field they name.
 *
 * The platform names a bad entry two ways: its own checks say `access[0].filters[1].name`, the schema
 * validation says `access.0.verbs` (or `access.0.verbs.2` for one item). Both are brought to the bracket
 * form, items of a list field go to the list, and a part the editor does not show goes to the entry
 * itself, so that every message lands on the entry it is about.
 */
import type { FieldErrors } from './api/client'
import type { ColumnInfo } from './api/data'
import { bracketIndexes } from './forms'
import { DOCS_SERVICE, VERBS, type AccessEntry, type Role, type RoleInput } from './api/roles'

/** The service select's value for "All services" (service null). */
export const ALL_SERVICES = ''
/** A new entry's service until the admin picks one: it grants nothing and is named before sending. */
export const UNCHOSEN = '?'
/** The components any database service has; the editor offers them when no service is chosen. */
export const GENERIC_COMPONENTS = ['', '*', '_table', '_table/*', '_schema', '_schema/*']

export interface FilterDraft {
  name: string
  operator: string
  value: string
}

export interface EntryDraft {
  /** A key for the editor's list; never sent. */
  key: number
  service: string
  component: string
  verbs: string[]
  filters: FilterDraft[]
  filterOp: 'AND' | 'OR'
  /** Whether `fields` restricts the columns; off means all columns (fields null). */
  limitFields: boolean
  fields: string[]
}

export interface RoleDraft {
  name: string
  description: string
  isActive: boolean
  entries: EntryDraft[]
}

const NULL_OPERATORS = ['is null', 'is not null']
const LIST_OPERATORS = ['in', 'not in']
const NUMERIC_TYPES = ['integer', 'float', 'decimal', 'number', 'double', 'bigint', 'smallint']
let nextKey = 1

function showValue(value: unknown): string {
  if (value === null || value === undefined) return ''
  return Array.isArray(value) ? value.map(String).join(', ') : String(value)
}

/** An entry's draft: from a stored entry, or a new one (no service chosen yet, everything, GET). */
export function entryDraft(entry?: AccessEntry): EntryDraft {
  return {
    key: nextKey++,
    service: entry ? (entry.service ?? ALL_SERVICES) : UNCHOSEN,
    component: entry?.component ?? '*',
    verbs: entry ? [...entry.verbs] : ['GET'],
    filters: (entry?.filters ?? []).map((f) => ({ name: f.name, operator: f.operator, value: showValue(f.value) })),
    filterOp: entry?.filter_op === 'OR' ? 'OR' : 'AND',
    limitFields: Array.isArray(entry?.fields),
    fields: entry?.fields ? [...entry.fields] : [],
  }
}

/** The form's starting values. */
export function roleDraft(role: Role | null): RoleDraft {
  return {
    name: role?.name ?? '',
    description: role?.description ?? '',
    isActive: role?.is_active ?? true,
    entries: (role?.access ?? []).map(entryDraft),
  }
}

/** The table a component names (`_table/t`, `_table/t/*`, `_schema/t`), or null. */
export function tableOf(component: string): string | null {
  const parts = component.split('/')
  if (parts[0] === '_table' && parts[1] && parts[1] !== '*' && (parts.length === 2 || (parts.length === 3 && parts[2] === '*'))) return parts[1]
  if (parts[0] === '_schema' && parts.length === 2 && parts[1] && parts[1] !== '*') return parts[1]
  return null
}

function typed(text: string, type: string | undefined): unknown {
  const trimmed = text.trim()
  if (type && NUMERIC_TYPES.includes(type) && /^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed)
  if (type === 'boolean' && /^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === 'true'
  return text
}

/**
 * A filter value as the platform wants it: none for the null tests, a list for `in`, else one value —
 * a number or boolean when the column has that type and the text reads as one, otherwise the text
 * (which may hold `{user.id}` and the like).
 */
export function filterValue(filter: FilterDraft, type?: string): unknown {
  if (NULL_OPERATORS.includes(filter.operator)) return null
  if (LIST_OPERATORS.includes(filter.operator)) {
    return filter.value.split(',').map((v) => v.trim()).filter(Boolean).map((v) => typed(v, type))
  }
  return typed(filter.value, type)
}

/** One entry as sent. A docs entry grants reading documents only: GET, no filters, no column list. */
export function serializeEntry(draft: EntryDraft, columns: readonly ColumnInfo[] = []): AccessEntry {
  const docs = draft.service === DOCS_SERVICE
  const types = new Map(columns.map((c) => [c.name.toLowerCase(), c.type]))
  return {
    service: draft.service === ALL_SERVICES ? null : draft.service,
    component: draft.component,
    verbs: docs ? ['GET'] : VERBS.filter((v) => draft.verbs.includes(v)),
    filters: docs
      ? []
      : draft.filters.map((f) => ({ name: f.name.trim(), operator: f.operator, value: filterValue(f, types.get(f.name.trim().toLowerCase())) })),
    filter_op: draft.filterOp,
    fields: !docs && draft.limitFields ? [...draft.fields] : null,
  }
}

/** The role as sent; `columnsOf` gives the known columns of an entry's table, for typing filter values. */
export function serializeRole(draft: RoleDraft, columnsOf: (entry: EntryDraft) => readonly ColumnInfo[] = () => []): RoleInput {
  return {
    name: draft.name.trim(),
    description: draft.description,
    is_active: draft.isActive,
    access: draft.entries.map((e) => serializeEntry(e, columnsOf(e))),
  }
}

const ENTRY_PARTS = ['service', 'component', 'verbs', 'filters', 'filter_op', 'fields']
const FILTER_PARTS = ['name', 'operator', 'value']

/** A server error key in the form the editor shows it under (see the module's comment). */
export function normalizeErrorKey(key: string): string {
  const bracketed = bracketIndexes(key)
  const entry = /^access\[(\d+)\](?:\.([a-z_]+)(?:\[(\d+)\](?:\.([a-z_]+))?)?)?/.exec(bracketed)
  if (!entry) return bracketed
  const [, i, part, item, sub] = entry
  if (!part || !ENTRY_PARTS.includes(part)) return `access[${i}]`
  if (part !== 'filters' || item === undefined) return `access[${i}].${part}`
  return sub && FILTER_PARTS.includes(sub) ? `access[${i}].filters[${item}].${sub}` : `access[${i}].filters[${item}]`
}

/** Verbs that read or write columns: with "Only these columns" ticked and none chosen they can do nothing. */
const COLUMN_VERBS = ['GET', 'POST', 'PUT', 'PATCH']

/** The entries' problems the form can see before sending, keyed as the platform keys its own. */
export function entryProblems(entries: readonly EntryDraft[]): FieldErrors {
  const errors: FieldErrors = {}
  entries.forEach((entry, i) => {
    // Deny by default: a new entry names no service until the admin picks one, "All services" included.
    if (entry.service === UNCHOSEN) errors[`access[${i}].service`] = 'Choose a service, or "All services" for every one'
    if (entry.service !== DOCS_SERVICE && entry.limitFields && entry.fields.length === 0 && entry.verbs.some((v) => COLUMN_VERBS.includes(v))) {
      errors[`access[${i}].fields`] = 'Choose at least one column, or untick "Only these columns" to allow every column'
    }
  })
  return errors
}

/** Every key the editor can show a message under, for a role with these entries. */
export function roleFieldKeys(entries: readonly EntryDraft[]): string[] {
  const keys = ['name', 'description', 'is_active', 'access']
  entries.forEach((entry, i) => {
    keys.push(`access[${i}]`, ...ENTRY_PARTS.map((p) => `access[${i}].${p}`))
    entry.filters.forEach((_f, j) => keys.push(`access[${i}].filters[${j}]`, ...FILTER_PARTS.map((p) => `access[${i}].filters[${j}].${p}`)))
  })
  return keys
}

/** The messages about entry `index`, keyed by its own part (`component`, `filters[1].name`, `entry`). */
export function entryErrors(errors: FieldErrors, index: number): FieldErrors {
  const prefix = `access[${index}]`
  const out: FieldErrors = {}
  for (const [key, message] of Object.entries(errors)) {
    if (key === prefix) out.entry = message
    else if (key.startsWith(`${prefix}.`)) out[key.slice(prefix.length + 1)] = message
  }
  return out
}
