/**
 * A list's state as the query of its route (`#/roles?filter=ops&page=2&size=50`), so reload and Back show
 * the same rows, as pocketbase's ui keeps a list's query in the route. Every list page and the table
 * browser's record grid use it, with a sort, `column` or `-column` (descending). Defaults are left out, so a
 * plain link stays plain.
 */

export interface Sort {
  key: string
  desc: boolean
}

export interface ListQuery {
  filter: string
  offset: number
  limit: number
  /** Absent for a list that does not sort. */
  sort?: Sort | null
}

export const PAGE_SIZES = [10, 25, 50, 100] as const
const DEFAULT_LIMIT = 25

function positive(text: string | null, fallback: number): number {
  const value = Number(text)
  return Number.isInteger(value) && value > 0 ? value : fallback
}

/** The list state a route query describes; anything malformed falls back to the default. */
export function readListQuery(query: URLSearchParams, defaultLimit = DEFAULT_LIMIT): ListQuery {
  const size = positive(query.get('size'), defaultLimit)
  const limit = (PAGE_SIZES as readonly number[]).includes(size) ? size : defaultLimit
  const page = positive(query.get('page'), 1)
  return { filter: query.get('filter') ?? '', offset: (page - 1) * limit, limit }
}

/** The state of a list that sorts: its sort is always there, null when there is none. */
export type SortedQuery = ListQuery & { sort: Sort | null }

/** The list state with its sort, for a list that sorts. */
export function readSortedQuery(query: URLSearchParams, defaultLimit = DEFAULT_LIMIT): SortedQuery {
  const sortText = query.get('sort') ?? ''
  const desc = sortText.startsWith('-')
  const key = desc ? sortText.slice(1) : sortText
  return { ...readListQuery(query, defaultLimit), sort: key ? { key, desc } : null }
}

/** The route query (with its `?`, or empty) of a list state. */
export function listQueryString(state: ListQuery, defaultLimit = DEFAULT_LIMIT): string {
  const query = new URLSearchParams()
  if (state.filter) query.set('filter', state.filter)
  if (state.sort) query.set('sort', `${state.sort.desc ? '-' : ''}${state.sort.key}`)
  const page = Math.floor(state.offset / state.limit) + 1
  if (page > 1) query.set('page', String(page))
  if (state.limit !== defaultLimit) query.set('size', String(state.limit))
  const text = query.toString()
  return text ? `?${text}` : ''
}

/** Whether the data API can sort by a column: its order parameter is a comma list of "field [asc|desc]". */
export function canSort(column: string): boolean {
  return !/[\s,]/.test(column)
}
