/**
 * A list page's search and page as the query of its route (`#/roles?filter=ops&page=2&size=50`), so reload
 * and Back show the same rows, as pocketbase's ui keeps a list's query in the route. The names are the table
 * browser's (filter, page, size); defaults are left out, so a plain list link stays plain.
 */

export interface ListQuery {
  filter: string
  offset: number
  limit: number
}

export const LIST_SIZES = [10, 25, 50, 100] as const
const DEFAULT_LIMIT = 25

function positive(text: string | null, fallback: number): number {
  const value = Number(text)
  return Number.isInteger(value) && value > 0 ? value : fallback
}

/** The list state a route query describes; anything malformed falls back to the default. */
export function readListQuery(query: URLSearchParams, defaultLimit = DEFAULT_LIMIT): ListQuery {
  const size = positive(query.get('size'), defaultLimit)
  const limit = (LIST_SIZES as readonly number[]).includes(size) ? size : defaultLimit
  const page = positive(query.get('page'), 1)
  return { filter: query.get('filter') ?? '', offset: (page - 1) * limit, limit }
}

/** The route query (with its `?`, or empty) of a list state. */
export function listQueryString(state: ListQuery, defaultLimit = DEFAULT_LIMIT): string {
  const query = new URLSearchParams()
  if (state.filter) query.set('filter', state.filter)
  const page = Math.floor(state.offset / state.limit) + 1
  if (page > 1) query.set('page', String(page))
  if (state.limit !== defaultLimit) query.set('size', String(state.limit))
  const text = query.toString()
  return text ? `?${text}` : ''
}
