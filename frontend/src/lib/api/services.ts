/** Data services and their types: /system/service, /system/service_type (DESIGN §5, §8). */
import { del, get, patch, post } from './client'

/** What the platform sends in place of a stored secret. */
export const SECRET_MASK = '**********'

export interface ConfigFieldSpec {
  name: string
  label: string
  /** `list` and `json` fields, and objects with `fields`, are edited as JSON (a remote HTTP service's). */
  type: 'string' | 'integer' | 'object' | 'list' | 'json'
  required: boolean
  secret: boolean
  choices?: string[]
  /** Words to show for the choices, by value; a value without one is shown as it is. */
  choice_labels?: Record<string, string>
  default?: unknown
  description?: string
  /** The keys of an object field (an HTTP service's `auth`). */
  fields?: ConfigFieldSpec[]
  /** The keys of each item of a list field (an HTTP service's `headers`). */
  items?: ConfigFieldSpec[]
}

export interface ServiceType {
  name: string
  label: string
  description: string
  config_schema: ConfigFieldSpec[]
}

export type ServiceConfig = Record<string, unknown>

export interface Service {
  id: number
  name: string
  label: string
  description: string
  type: string
  is_active: boolean
  config: ServiceConfig
  created_at: string
  updated_at: string
}

/** What a saved service will fail on although the platform accepted it (a SQLite file not there yet). */
export interface ServiceWarning {
  /** The config field concerned, e.g. `config.database`. */
  field: string
  /** A sentence that names the field. */
  message: string
}

/** A service as a create or update answers it. */
export type SavedService = Service & { warnings?: ServiceWarning[] }

export interface ServiceInput {
  name?: string
  label?: string
  description?: string
  type?: string
  is_active?: boolean
  config?: ServiceConfig
}

const base = '/system/service'

export const listServiceTypes = () =>
  get<{ resource: ServiceType[] }>('/system/service_type').then((r) => r.resource)
export const listServices = () => get<{ resource: Service[] }>(base).then((r) => r.resource)
export const getService = (id: number) => get<Service>(`${base}/${id}`)
export const createService = (data: ServiceInput) => post<SavedService>(base, data)
export const updateService = (id: number, data: ServiceInput) => patch<SavedService>(`${base}/${id}`, data)
export const deleteService = (id: number) => del<Service>(`${base}/${id}`)
export const testService = (id: number) =>
  post<{ success: boolean; message: string }>(`${base}/${id}/test`)
