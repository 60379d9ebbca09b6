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
}

/** A foreign key: `field` (comma-joined for composite keys) of this table refers to `ref_field` of `ref_table`. */
export interface Relation {
  name: string
  type: 'belongs_to' | 'has_many'
  ref_table: string
  field: string
  ref_field: string
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
