/** The audit trail: /system/audit, read-only, newest first (README "Audit log and live sessions"). */
import { get, type Query } from './client'

export interface AuditEvent {
  id: number
  at: string
  actor_id: number | null
  actor_email: string | null
  address: string | null
  request_id: string | null
  action: string
  resource_type: string
  resource_id: string | null
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
}

export interface AuditFilter {
  actor?: string
  action?: string
  resource_type?: string
  resource_id?: string
  since?: string
  until?: string
}

export interface AuditPage {
  resource: AuditEvent[]
  meta?: { count: number }
}

export const listAuditEvents = (filter: AuditFilter, offset: number, limit: number) =>
  get<AuditPage>('/system/audit', { ...(filter as Query), offset, limit, include_count: true })

/** The newest events (the API answers newest first), for Home. */
export const recentAuditEvents = (limit: number) => get<AuditPage>('/system/audit', { limit })
