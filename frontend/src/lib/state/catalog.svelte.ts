/**
 * What the role editor offers to pick from: the components of each service (`as_access_list`) and the
 * columns of each table (`_schema/<t>`), fetched once per page and shared by every entry. A failed fetch
 * is remembered as such, so the editor falls back to typing instead of asking again and again.
 */
import type { ColumnInfo } from '../api/data'
import { getTableSchema } from '../api/data'
import { listComponents } from '../api/roles'

type Loaded<T> = T | 'failed'

export class Catalog {
  components = $state<Record<string, Loaded<string[]>>>({})
  columns = $state<Record<string, Loaded<ColumnInfo[]>>>({})
  readonly #pending = new Set<string>()

  /** The components of a service, once loaded; null while unknown. */
  componentsOf(service: string): string[] | null {
    const value = this.components[service]
    return Array.isArray(value) ? value : null
  }

  /** The columns of a table, once loaded; null while unknown. */
  columnsOf(service: string, table: string): ColumnInfo[] | null {
    const value = this.columns[`${service}/${table}`]
    return Array.isArray(value) ? value : null
  }

  /** Fetch a service's components unless they are known or on their way. */
  loadComponents(service: string): void {
    this.#fetch(`c:${service}`, () => listComponents(service), (v) => (this.components[service] = v))
  }

  /** Fetch a table's columns unless they are known or on their way. */
  loadColumns(service: string, table: string): void {
    const key = `${service}/${table}`
    this.#fetch(`s:${key}`, () => getTableSchema(service, table).then((s) => s.field), (v) => (this.columns[key] = v))
  }

  #fetch<T>(key: string, fetch: () => Promise<T>, store: (value: Loaded<T>) => void): void {
    if (this.#pending.has(key)) return
    this.#pending.add(key)
    fetch().then(store, () => store('failed'))
  }
}
