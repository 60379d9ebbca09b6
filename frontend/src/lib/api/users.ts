/** Non-admin users and their role per app: /system/user; the password is write-only (DESIGN §4). */
import { del, get, patch, post } from './client'

export interface AppRole {
  app_id: number
  role_id: number
}

export interface User {
  id: number
  email: string
  name: string
  is_active: boolean
  last_login_at: string | null
  app_roles: AppRole[]
}

export interface UserInput {
  email?: string
  name?: string
  is_active?: boolean
  password?: string
  app_roles?: AppRole[]
  /** On create: e-mail the user a code to set their password (issue 15). */
  send_invite?: boolean
}

const base = '/system/user'

export const listUsers = () => get<{ resource: User[] }>(base).then((r) => r.resource)
export const getUser = (id: number) => get<User>(`${base}/${id}`)
export const createUser = (data: UserInput) => post<User>(base, data)
export const updateUser = (id: number, data: UserInput) => patch<User>(`${base}/${id}`, data)
export const setUserPassword = (id: number, password: string) => updateUser(id, { password })
export const deleteUser = (id: number) => del<User>(`${base}/${id}`)
