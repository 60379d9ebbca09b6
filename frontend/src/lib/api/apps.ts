/** Apps: /system/app. The API key comes back only from create and rotate, once (DESIGN §4). */
import { credentials, del, get, patch, post } from './client'

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

/**
 * The app whose key this console sends (config.json's apiKey), found by its fingerprint: the platform
 * lists a key as its prefix and first six characters (apikeys.fingerprint). A user's role for this app is
 * what a docs-only user gets when they log in here.
 */
export function consoleApp(apps: readonly App[]): App | null {
  const key = credentials().apiKey
  return key ? (apps.find((app) => app.key_fingerprint === key.slice(0, 'bak_'.length + 6)) ?? null) : null
}

export const listApps = () => get<{ resource: App[] }>(base).then((r) => r.resource)
export const getApp = (id: number) => get<App>(`${base}/${id}`)
export const createApp = (data: AppInput) => post<AppWithKey>(base, data)
export const updateApp = (id: number, data: AppInput) => patch<App>(`${base}/${id}`, data)
export const rotateAppKey = (id: number) => post<AppWithKey>(`${base}/${id}/rotate-key`)
export const deleteApp = (id: number) => del<App>(`${base}/${id}`)
