/** The CORS tester (/system/cors/explain) and the warnings a saved rule comes back with. */
import type { CorsRule } from './cors'
import { get } from './client'

export interface CorsWarning {
  relation: 'shadows' | 'shadowed_by'
  rule_id: number
  path: string
  origins: string[]
  message: string
}

/** A rule as a save answers it: the rule and the rules it shadows or is shadowed by. */
export type SavedCorsRule = CorsRule & { warnings?: CorsWarning[] }

export interface CorsVerdict {
  origin: string
  path: string
  method: string
  headers: string[]
  allowed: boolean
  reason: string
  rule: { id: number; path: string } | null
  covering: { id: number; path: string; admits_origin: boolean }[]
  preflight: { status: number; headers: Record<string, string> }
  actual: { headers: Record<string, string> }
}

export const explainCors = (query: { origin: string; path: string; method: string; headers: string }) =>
  get<CorsVerdict>('/system/cors/explain', query)
