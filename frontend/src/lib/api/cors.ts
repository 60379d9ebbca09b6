/** CORS rules: /system/cors, changed at run time (DESIGN §7). */
import { del, get, patch, post } from './client'

/** The methods a rule may allow, as the platform accepts them. */
export const CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const

export interface CorsRule {
  id: number
  path: string
  description: string
  origins: string[]
  headers: string[]
  exposed_headers: string[]
  max_age: number
  methods: string[]
  supports_credentials: boolean
  enabled: boolean
}

export type CorsRuleInput = Partial<Omit<CorsRule, 'id'>>

const base = '/system/cors'

export const listCorsRules = () => get<{ resource: CorsRule[] }>(base).then((r) => r.resource)
export const getCorsRule = (id: number) => get<CorsRule>(`${base}/${id}`)
export const createCorsRule = (data: CorsRuleInput) => post<CorsRule>(base, data)
export const updateCorsRule = (id: number, data: CorsRuleInput) => patch<CorsRule>(`${base}/${id}`, data)
export const deleteCorsRule = (id: number) => del<CorsRule>(`${base}/${id}`)
