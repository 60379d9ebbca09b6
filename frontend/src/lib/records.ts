/**
 * Records of a table as a form edits them, from the column facts `_schema/<t>` gives. A draft holds each
 * column as text, `null` for NULL, or `undefined` for "leave it to the database" (its default or
 * auto-increment, on create only). Values go to the API as text: the platform converts text to the
 * column's type and names the field when it cannot (data/convert.py); only JSON and booleans are sent typed.
 */
import type { ColumnInfo, DataRecord, TableSchema } from './api/data'

export type DraftValue = string | null | undefined
export type Draft = Record<string, DraftValue>

/** The control a column is edited with. */
export type InputKind = 'integer' | 'number' | 'boolean' | 'date' | 'text' | 'textarea' | 'json' | 'readonly'

export function inputKind(column: ColumnInfo): InputKind {
  switch (column.type) {
    case 'integer':
      return 'integer'
    case 'float':
    case 'decimal':
      return 'number'
    case 'boolean':
      return 'boolean'
    case 'date':
      return 'date'
    case 'text':
      return 'textarea'
    case 'json':
      return 'json'
    case 'binary':
      return 'readonly'
    default:
      return 'text'
  }
}

/** Whether a create may leave the column out: the database fills it in. */
export function hasDatabaseValue(column: ColumnInfo): boolean {
  return column.auto_increment || column.default !== null
}

/** A stored value as the text a control shows; null stays null. */
export function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'object') return JSON.stringify(value, null, 2)
  return String(value)
}

/** The draft of a new record (no `record`) or of an existing one. */
export function draftFor(schema: TableSchema, record?: DataRecord): Draft {
  const draft: Draft = {}
  for (const column of schema.field) {
    if (record) draft[column.name] = toText(record[column.name])
    else if (hasDatabaseValue(column)) draft[column.name] = undefined
    else draft[column.name] = column.allow_null ? null : ''
  }
  return draft
}

const INTEGER = /^\s*-?\d+\s*$/

/** What is wrong with a column's draft value, in words that say what to do; undefined when nothing is. */
export function checkValue(column: ColumnInfo, value: DraftValue): string | undefined {
  if (value === undefined) return undefined
  if (value === null) return column.allow_null ? undefined : 'Enter a value: this column cannot be NULL'
  const kind = inputKind(column)
  if (kind === 'integer' && !INTEGER.test(value)) return 'Enter a whole number'
  if (kind === 'number' && (value.trim() === '' || !Number.isFinite(Number(value)))) return 'Enter a number'
  if (kind === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'Enter a date (YYYY-MM-DD)'
  if (kind === 'boolean' && value !== 'true' && value !== 'false') return 'Choose true or false'
  if (kind === 'json' && !parses(value)) return 'Enter valid JSON, e.g. {"key": "value"} or "text"'
  if (column.length && value.length > column.length) return `Enter at most ${column.length} characters`
  return undefined
}

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** The messages of every column whose draft value is wrong. */
export function checkDraft(schema: TableSchema, draft: Draft): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const column of schema.field) {
    const problem = checkValue(column, draft[column.name])
    if (problem) errors[column.name] = problem
  }
  return errors
}

function toApi(column: ColumnInfo, value: string | null): unknown {
  if (value === null) return null
  const kind = inputKind(column)
  if (kind === 'json') return JSON.parse(value)
  if (kind === 'boolean') return value === 'true'
  return value
}

/** The key fields of a record, which name it in updates and deletes. */
export function keyOf(schema: TableSchema, record: DataRecord): DataRecord {
  return Object.fromEntries(schema.primary_key.map((name) => [name, record[name]]))
}

/** A stable text id for a record (its key values), for row keys and selections. */
export function rowId(schema: TableSchema, record: DataRecord): string {
  return JSON.stringify(schema.primary_key.map((name) => record[name]))
}

/**
 * The body of a create (every value the draft sets) or of an update (the key, and only the values that
 * changed, so a PATCH never rewrites a column the admin did not touch).
 */
export function recordBody(schema: TableSchema, draft: Draft, original?: DataRecord): DataRecord {
  const body: DataRecord = original ? keyOf(schema, original) : {}
  for (const column of schema.field) {
    const value = draft[column.name]
    if (value === undefined || inputKind(column) === 'readonly') continue
    if (original && value === toText(original[column.name])) continue
    body[column.name] = toApi(column, value)
  }
  return body
}

/** Single-column foreign keys of the table: column name to the referred table and column. */
export function foreignKeys(schema: TableSchema): Map<string, { table: string; field: string }> {
  const keys = new Map<string, { table: string; field: string }>()
  for (const relation of schema.related ?? []) {
    if (relation.type === 'belongs_to' && !relation.field.includes(',')) {
      keys.set(relation.field, { table: relation.ref_table, field: relation.ref_field })
    }
  }
  return keys
}

/** Whether rows can be changed here: a table (not a view) with a primary key the admin can see. */
export function editable(schema: TableSchema): boolean {
  return !schema.is_view && schema.primary_key.length > 0
}
