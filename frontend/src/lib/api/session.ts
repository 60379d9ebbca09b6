/**
 * Login sessions (DESIGN §3): admins at /system/admin/session, other users at /user/session. A user logs in
 * through the console app (its key from config.json goes along), so the platform answers with their role
 * for that app.
 */
import { del, request } from './client'

export type SessionKind = 'admin' | 'user'

export interface SessionInfo {
  id: number
  email: string
  name: string
  is_sys_admin: boolean
  token_expiry_date: string
  session_token?: string
  role?: string
  role_id?: number
}

const endpoint = (kind: SessionKind) => (kind === 'admin' ? '/system/admin/session' : '/user/session')

/** Log in; the request carries no session token, not even one that has ended (logging in again over a form). */
export const logIn = (email: string, password: string, kind: SessionKind = 'admin') =>
  request<SessionInfo & { session_token: string }>('POST', endpoint(kind), { body: { email, password }, anonymous: true })

export const logOut = (kind: SessionKind = 'admin') => del<{ success: boolean }>(endpoint(kind))
