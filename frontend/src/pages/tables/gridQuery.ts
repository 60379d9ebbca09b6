/**
 * The state of the record grid (filter, sort, page, page size) as the query of its route, so that reload
 * and Back show the same rows. Defaults are left out, so a plain table link stays plain. The sort is
 * `column` or `-column` (descending), as pocketbase's ui writes it.
 */

export interface GridQuery {
  filter: string
  sort: { key: string; desc: boolean } | null
  offset: number
  limit: number
}

export const PAGE_SIZES = [10, 25, 50, 100] as const
const DEFAULT_LIMIT = 25

function positive(text: string | null, fallback: number): number {
  const value = Number(text)
  return Number.isInteger(value) && value > 0 ? value : fallback
}

/** The grid state a route query describes; anything malformed falls back to the default. */
export function readGridQuery(query: URLSearchParams, defaultLimit = DEFAULT_LIMIT): GridQuery {
  const size = positive(query.get('size'), defaultLimit)
  const limit = (PAGE_SIZES as readonly number[]).includes(size) ? size : defaultLimit
  const page = positive(query.get('page'), 1)
  const sortText = query.get('sort') ?? ''
  const desc = sortText.startsWith('-')
  const key = desc ? sortText.slice(1) : sortText
  return { filter: query.get('filter') ?? '', sort: key ? { key, desc } : null, offset: (page - 1) * limit, limit }
}

/** The route query (with its `?`, or empty) of a grid state. */
export function gridQueryString(state: GridQuery, defaultLimit = DEFAULT_LIMIT): string {
  const query = new URLSearchParams()
  if (state.filter) query.set('filter', state.filter)
  if (state.sort) query.set('sort', `${state.sort.desc ? '-' : ''}${state.sort.key}`)
  const page = Math.floor(state.offset / state.limit) + 1
  if (page > 1) query.set('page', String(page))
  if (state.limit !== defaultLimit) query.set('size', String(state.limit))
  const text = query.toString()
  return text ? `?${text}` : ''
}

/** Whether the API can sort by a column: its order parameter is a comma list of "field [asc|desc]". */
export function canSort(column: string): boolean {
  return !/[\s,]/.test(column)
}
