/**
 * The Audit page's state in the route's query string (`#/audit?action=login&offset=50`), so reload and
 * Back keep the filters and the page. Pure functions, tested without a browser.
 */
import type { AuditFilter } from './api/audit'

export const FILTER_KEYS = ['actor', 'action', 'resource_type', 'resource_id', 'since', 'until'] as const

export interface AuditView {
  filter: AuditFilter
  offset: number
  limit: number
}

const whole = (text: string | null, fallback: number, low: number, high: number) => {
  const value = Number(text)
  return text !== null && Number.isInteger(value) && value >= low && value <= high ? value : fallback
}

/** The view a query string describes; anything malformed falls back to the default. */
export function viewFromQuery(query: URLSearchParams): AuditView {
  const filter: AuditFilter = {}
  for (const key of FILTER_KEYS) {
    const value = query.get(key)?.trim()
    if (value) filter[key] = value
  }
  return { filter, offset: whole(query.get('offset'), 0, 0, 2 ** 31 - 1), limit: whole(query.get('limit'), 25, 1, 1000) }
}

/** The hash path of a view: only the filters set, and paging when not the default. */
export function queryFromView(view: AuditView): string {
  const params = new URLSearchParams()
  for (const key of FILTER_KEYS) if (view.filter[key]) params.set(key, view.filter[key] as string)
  if (view.offset) params.set('offset', String(view.offset))
  if (view.limit !== 25) params.set('limit', String(view.limit))
  const text = params.toString()
  return text ? `/audit?${text}` : '/audit'
}

/** A datetime-local input's value (local time, no zone) as the ISO time the API takes. */
export function isoFromLocal(value: string): string {
  if (!value) return ''
  const moment = new Date(value)
  return Number.isNaN(moment.getTime()) ? '' : moment.toISOString()
}

/** The changed fields of an event, one "name: before → after" line each. */
export function changeLines(before: Record<string, unknown> | null, after: Record<string, unknown> | null): string[] {
  const names = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])]
  const show = (value: unknown) => (value === undefined ? '∅' : JSON.stringify(value))
  return names.map((name) => {
    if (!before || !(name in before)) return `${name}: ${show(after?.[name])}`
    if (!after || !(name in after)) return `${name}: ${show(before[name])} → ∅`
    return `${name}: ${show(before[name])} → ${show(after[name])}`
  })
}
