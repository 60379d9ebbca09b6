/** Admins: /system/admin; the password is write-only. */
import { del, get, patch, post } from './client'

export interface Admin {
  id: number
  email: string
  name: string
  is_active: boolean
  is_sys_admin: boolean
  created_at: string
  updated_at: string
  last_login_at: string | null
}

export interface AdminInput {
  email?: string
  name?: string
  is_active?: boolean
  password?: string
}

export const listAdmins = () => get<{ resource: Admin[] }>('/system/admin').then((r) => r.resource)
export const getAdmin = (id: number) => get<Admin>(`/system/admin/${id}`)
export const createAdmin = (data: AdminInput) => post<Admin>('/system/admin', data)
export const updateAdmin = (id: number, data: AdminInput) => patch<Admin>(`/system/admin/${id}`, data)
export const setAdminPassword = (id: number, password: string) => updateAdmin(id, { password })
export const deleteAdmin = (id: number) => del<Admin>(`/system/admin/${id}`)
