/** Client-side filtering, sorting and paging for the short system lists (admins, services, tables). */

/** A column of a DataTable. */
export interface Column {
  key: string
  label: string
  sortable?: boolean
}

/** Rows where any of the given keys contains the text, case-insensitively. */
export function filterRows<T extends object>(rows: readonly T[], text: string, keys: readonly (keyof T)[]): T[] {
  const needle = text.trim().toLowerCase()
  if (!needle) return [...rows]
  return rows.filter((row) => keys.some((key) => String(row[key] ?? '').toLowerCase().includes(needle)))
}

/** A value as it sorts: a list by its length, true before false, text as text; null and empty last. */
function sortValue(value: unknown): string | number | null {
  if (value === null || value === undefined || value === '') return null
  if (Array.isArray(value)) return value.length
  if (typeof value === 'boolean') return value ? 0 : 1
  return typeof value === 'number' ? value : String(value)
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

/** The rows in a column's order (stable, so equal values keep their order); missing values stay last. */
export function sortRows<T extends object>(rows: readonly T[], sort: { key: string; desc: boolean } | null): T[] {
  if (!sort) return [...rows]
  const direction = sort.desc ? -1 : 1
  const valueOf = (row: T) => sortValue((row as Record<string, unknown>)[sort.key])
  return [...rows].sort((a, b) => {
    const [x, y] = [valueOf(a), valueOf(b)]
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * direction
    return collator.compare(String(x), String(y)) * direction
  })
}

/** The offset of the page, of `limit` rows, that holds the row at `index`. */
export function pageStart(index: number, limit: number): number {
  return Math.floor(index / limit) * limit
}

/** One page of rows. */
export function pageRows<T>(rows: readonly T[], offset: number, limit: number): T[] {
  return rows.slice(offset, offset + limit)
}

/** The order parameter of the data API for a sort state: `name desc`. */
export function orderParam(sort: { key: string; desc: boolean } | null): string | undefined {
  return sort ? `${sort.key} ${sort.desc ? 'desc' : 'asc'}` : undefined
}

/** Cycle a column's sort: ascending, descending, none. */
export function nextSort(current: { key: string; desc: boolean } | null, key: string) {
  if (current?.key !== key) return { key, desc: false }
  return current.desc ? null : { key, desc: true }
}
