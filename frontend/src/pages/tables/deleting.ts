/** Deleting records of a table after the admin confirms: one row or the selected rows, all or none. */
import { deleteRecords, type DataRecord, type TableSchema } from '../../lib/api/data'
import { keyOf } from '../../lib/records'
import { ask } from '../../lib/state/confirm.svelte'
import { notifyError, notifySuccess } from '../../lib/state/toasts.svelte'

function describe(schema: TableSchema, rows: readonly DataRecord[]): string {
  if (rows.length !== 1) return `${rows.length} records`
  const key = keyOf(schema, rows[0])
  return `the record ${Object.entries(key).map(([name, value]) => `${name} = ${String(value)}`).join(', ')}`
}

/** Ask, then delete the rows in one request (rolled back if any fails); resolves whether they went. */
export async function confirmDelete(service: string, table: string, schema: TableSchema, rows: readonly DataRecord[]): Promise<boolean> {
  if (rows.length === 0) return false
  const what = describe(schema, rows)
  const title = rows.length === 1 ? 'Delete record' : `Delete ${rows.length} records`
  if (!(await ask(title, `Delete ${what} from ${table}? This cannot be undone.`))) return false
  try {
    await deleteRecords(service, table, rows.map((row) => keyOf(schema, row)))
    notifySuccess(rows.length === 1 ? 'Record deleted' : `${rows.length} records deleted`)
    return true
  } catch (error) {
    notifyError(error)
    return false
  }
}
