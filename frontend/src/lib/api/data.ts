/** The data API of one database service: tables, schema, records (DESIGN §5). */
import { get } from './client'

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

export interface TableSchema {
  name: string
  is_view: boolean
  primary_key: string[]
  field: ColumnInfo[]
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
}

const svc = (service: string) => `/${encodeURIComponent(service)}`
const tbl = (table: string) => encodeURIComponent(table)

export const listTables = (service: string) =>
  get<{ resource: TableRef[] }>(`${svc(service)}/_table`).then((r) => r.resource)

export const getTableSchema = (service: string, table: string) =>
  get<TableSchema>(`${svc(service)}/_schema/${tbl(table)}`)

export const listRecords = (service: string, table: string, query: RecordQuery, signal?: AbortSignal) =>
  get<RecordPage>(`${svc(service)}/_table/${tbl(table)}`, { ...query, include_count: true }, signal)
