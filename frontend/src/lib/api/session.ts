/** Admin sessions: /system/admin/session (DESIGN §3). */
import { del, post } from './client'

export interface SessionInfo {
  id: number
  email: string
  name: string
  is_sys_admin: boolean
  token_expiry_date: string
  session_token?: string
}

export const logIn = (email: string, password: string) =>
  post<SessionInfo & { session_token: string }>('/system/admin/session', { email, password })

export const logOut = () => del<{ success: boolean }>('/system/admin/session')
