/**
 * User self-service (issue 15): registration and its confirmation, password reset by e-mailed code, one's own
 * password; and the admin's registration setting. `login: true` asks the platform for a session at once.
 */
import { get, patch, post, request } from './client'
import type { SessionInfo } from './session'

export type NewSession = SessionInfo & { session_token: string }
export type Success = { success: boolean; confirmation_required?: boolean }

export interface RegisterInput {
  email: string
  name?: string
  password: string
}

export const register = (data: RegisterInput) => post<Success>('/user/register', data)

export const confirmRegistration = (email: string, code: string) =>
  request<NewSession>('POST', '/user/confirm', { query: { login: true }, body: { email, code } })

export const requestReset = (email: string) =>
  request<Success>('POST', '/user/password', { query: { reset: true }, body: { email } })

export const resetWithCode = (email: string, code: string, newPassword: string) =>
  request<NewSession>('POST', '/user/password', {
    query: { login: true },
    body: { email, code, new_password: newPassword },
  })

/** Change one's own password; every session ends and the answer is a fresh one. */
export const changeOwnPassword = (oldPassword: string, newPassword: string) =>
  post<NewSession>('/user/password', { old_password: oldPassword, new_password: newPassword })

export interface RegistrationApp {
  app_id: number
  role_id: number
}

export interface Registration {
  enabled: boolean
  skip_confirmation: boolean
  apps: RegistrationApp[]
  /** The mail setting the platform lacks (confirmation e-mails cannot go out), or null. */
  mail_missing_setting: string | null
}

export const getRegistration = () => get<Registration>('/system/registration')
export const updateRegistration = (data: Partial<Omit<Registration, 'mail_missing_setting'>>) =>
  patch<Registration>('/system/registration', data)
