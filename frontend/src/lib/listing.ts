/** Client-side filtering and paging for the short system lists (admins, services, tables). */

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
