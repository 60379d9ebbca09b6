/** The security advisor: /system/advisor findings, their mutes, and the platform's inventory. */
import { get, post } from './client'

export const SEVERITIES = ['high', 'medium', 'low', 'info'] as const
export type Severity = (typeof SEVERITIES)[number]

export interface Evidence {
  type: string
  id: number | string | null
  [detail: string]: unknown
}

export interface Mute {
  reason: string
  by: { id: number | null; email: string }
  at: string
}

export interface Finding {
  id: string
  code: string
  severity: Severity
  title: string
  evidence: Evidence[]
  fix: { text: string; route: string | null }
  muted: Mute | null
}

export interface Inventory {
  services: number
  roles: number
  apps: number
  users: number
  admins: number
  cors_rules: number
}

export interface AdvisorReport {
  resource: Finding[]
  counts: Record<Severity, number>
  muted: number
  inventory: Inventory
}

const base = '/system/advisor'

export const getAdvisor = () => get<AdvisorReport>(base)
export const muteFinding = (id: string, reason: string) => post<{ id: string; muted: Mute }>(`${base}/mute`, { id, reason })
export const unmuteFinding = (id: string) => post<{ id: string; muted: null }>(`${base}/unmute`, { id })
