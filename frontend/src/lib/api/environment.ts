/** The platform environment: /system/environment. */
import { get } from './client'

export interface Environment {
  platform: { name: string; version?: string; app_env?: string; debug?: boolean; database?: string }
  authentication: { admin_login: string; user_login: string }
}

export const getEnvironment = () => get<Environment>('/system/environment')
