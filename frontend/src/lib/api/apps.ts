/** Apps: /system/app. The API key comes back only from create and rotate, once (DESIGN §4). */
import { del, get, patch, post } from './client'

export interface App {
  id: number
  name: string
  description: string
  role_id: number | null
  is_active: boolean
  key_fingerprint: string
  /** When and from which address the key last came with a request (written at most once a minute). */
  last_used_at: string | null
  last_used_from: string | null
}

/** An app as create and rotate-key answer it: with its key, this one time. */
export type AppWithKey = App & { api_key: string }

export interface AppInput {
  name?: string
  description?: string
  role_id?: number | null
  is_active?: boolean
}

const base = '/system/app'

export const listApps = () => get<{ resource: App[] }>(base).then((r) => r.resource)
export const createApp = (data: AppInput) => post<AppWithKey>(base, data)
export const updateApp = (id: number, data: AppInput) => patch<App>(`${base}/${id}`, data)
export const rotateAppKey = (id: number) => post<AppWithKey>(`${base}/${id}/rotate-key`)
export const deleteApp = (id: number) => del<App>(`${base}/${id}`)
