/** Live sessions of every account, for admins: /system/session; ending them takes effect everywhere at once. */
import { del, get, request } from './client'

export interface LiveSession {
  id: number
  user_id: number
  email: string
  name: string
  is_sys_admin: boolean
  created_at: string
  login_at: string
  last_seen_at: string | null
  expires_at: string
  client_address: string | null
  user_agent: string | null
}

const base = '/system/session'

export const listLiveSessions = (userId: number) =>
  get<{ resource: LiveSession[] }>(base, { user_id: userId, limit: 1000 }).then((r) => r.resource)
export const endSession = (id: number) => del<LiveSession>(`${base}/${id}`)
export const endUserSessions = (userId: number) =>
  request<{ user_id: number; sessions_ended: number }>('DELETE', base, { query: { user_id: userId } })
