/** Roles and their access entries: /system/role, the component list of a service and the explain probe (DESIGN §4). */
import { del, get, patch, post } from './client'

export const VERBS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
export type Verb = (typeof VERBS)[number]

/** The operators a row filter may use, as the platform spells them. */
export const OPERATORS = ['=', '!=', '>', '>=', '<', '<=', 'like', 'contains', 'starts with', 'ends with', 'in', 'not in', 'is null', 'is not null'] as const

/** The pseudo-service whose entries grant documentation only (DESIGN §9). */
export const DOCS_SERVICE = 'api_docs'

export interface RowFilter {
  name: string
  operator: string
  value: unknown
}

export interface AccessEntry {
  service: string | null
  component: string
  verbs: string[]
  filters: RowFilter[]
  filter_op: 'AND' | 'OR'
  fields: string[] | null
}

export interface Role {
  id: number
  name: string
  description: string
  is_active: boolean
  access: AccessEntry[]
}

export type RoleInput = Partial<Omit<Role, 'id'>>

export interface Explanation {
  allowed: boolean
  reason: string
  service: string
  component: string
  verb: string
  role: { id: number; name: string } | null
  /** The deciding entry: its own `filters` and `filter_op` are the row filters that apply. */
  entry: AccessEntry | null
  filters: RowFilter[]
  filter_op: string | null
  fields: string[] | null
}

export interface ExplainQuery {
  app: number
  user?: number | null
  verb: string
  path: string
}

const base = '/system/role'

export const listRoles = () => get<{ resource: Role[] }>(base).then((r) => r.resource)
export const getRole = (id: number) => get<Role>(`${base}/${id}`)
export const createRole = (data: RoleInput) => post<Role>(base, data)
export const updateRole = (id: number, data: RoleInput) => patch<Role>(`${base}/${id}`, data)
export const deleteRole = (id: number) => del<Role>(`${base}/${id}`)

/** Every grantable component of a service: "", "*", "_table", "_table/<t>", "_table/<t>/*", ... */
export const listComponents = (service: string) =>
  get<{ resource: string[] }>(`/${encodeURIComponent(service)}`, { as_access_list: true }).then((r) => r.resource)

export const explain = (query: ExplainQuery) => get<Explanation>('/system/explain', { ...query })
