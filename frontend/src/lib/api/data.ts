/** The data API of one database service: tables, schema, records (DESIGN §5). */
import { del, get, patch, post } from './client'

export interface TableRef {
  name: string
  verbs: string[]
}

export interface ColumnInfo {
  name: string
  type: string
  db_type: string
  length: number | null
  allow_null: boolean
  default: string | null
  is_primary_key: boolean
  auto_increment: boolean
  /**
   * DreamFactory's further field keys (df-core ColumnSchema). Optional here: the SPA does not read them.
   * `ref_*` name a foreign key's target only when the caller may read it, else they are null.
   */
  label?: string
  required?: boolean
  precision?: number | null
  scale?: number | null
  fixed_length?: boolean
  supports_multibyte?: boolean
  is_unique?: boolean
  is_index?: boolean
  is_foreign_key?: boolean
  ref_table?: string | null
  ref_field?: string | null
  ref_on_update?: string | null
  ref_on_delete?: string | null
}

/**
 * A relationship from a single-column foreign key: `field` of this table matches `ref_field` of `ref_table`
 * (for many_many through `junction_table`, whose `junction_field` holds this table's value).
 */
export interface Relation {
  name: string
  type: 'belongs_to' | 'has_many' | 'many_many'
  ref_table: string
  field: string
  ref_field: string
  junction_table: string | null
  junction_field: string | null
  junction_ref_field: string | null
}

export interface TableSchema {
  name: string
  is_view: boolean
  primary_key: string[]
  field: ColumnInfo[]
  related?: Relation[]
}

export type DataRecord = Record<string, unknown>

export interface RecordPage {
  resource: DataRecord[]
  meta?: { count?: number; next?: number }
}

export interface RecordQuery {
  limit: number
  offset: number
  filter?: string
  order?: string
  fields?: string
}

const svc = (service: string) => `/${encodeURIComponent(service)}`
const tbl = (table: string) => encodeURIComponent(table)

export const listTables = (service: string) =>
  get<{ resource: TableRef[] }>(`${svc(service)}/_table`).then((r) => r.resource)

export const getTableSchema = (service: string, table: string) =>
  get<TableSchema>(`${svc(service)}/_schema/${tbl(table)}`)

export const listRecords = (service: string, table: string, query: RecordQuery, signal?: AbortSignal) =>
  get<RecordPage>(`${svc(service)}/_table/${tbl(table)}`, { ...query, include_count: true }, signal)

// Writes name their records by key inside the body, never in the path, so no key value needs escaping.
const records = (service: string, table: string) => `${svc(service)}/_table/${tbl(table)}`

/** Create one record; answers its key. */
export const createRecord = (service: string, table: string, record: DataRecord) =>
  post<RecordPage>(records(service, table), { resource: [record] })

/** Change the fields sent of the record that `record`'s key fields name. */
export const updateRecord = (service: string, table: string, record: DataRecord) =>
  patch<RecordPage>(records(service, table), { resource: [record] })

/** Delete the records the keys name, all or none. */
export const deleteRecords = (service: string, table: string, keys: DataRecord[]) =>
  del<RecordPage>(`${records(service, table)}?rollback=true`, { resource: keys })
