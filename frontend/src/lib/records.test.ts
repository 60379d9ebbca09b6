import { describe, expect, it } from 'vitest'
import type { ColumnInfo, TableSchema } from './api/data'
import { checkDraft, draftFor, foreignKeys, recordBody, rowId } from './records'

const column = (name: string, type: string, more: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  type,
  db_type: type.toUpperCase(),
  length: null,
  allow_null: false,
  default: null,
  is_primary_key: false,
  auto_increment: false,
  ...more,
})

const schema: TableSchema = {
  name: 'employees',
  is_view: false,
  primary_key: ['id'],
  field: [
    column('id', 'integer', { is_primary_key: true, auto_increment: true }),
    column('name', 'string', { length: 5 }),
    column('note', 'text', { allow_null: true }),
    column('active', 'boolean', { default: '1' }),
    column('meta', 'json', { allow_null: true }),
    column('dept', 'integer', { allow_null: true }),
  ],
  related: [
    {
      name: 'departments_by_dept',
      type: 'belongs_to',
      ref_table: 'departments',
      field: 'dept',
      ref_field: 'id',
      junction_table: null,
      junction_field: null,
      junction_ref_field: null,
    },
  ],
}

describe('record drafts', () => {
  it('leave database-filled columns out of a new record and start nullable ones at NULL', () => {
    const draft = draftFor(schema)
    expect(draft).toEqual({ id: undefined, name: '', note: null, active: undefined, meta: null, dept: null })
    expect(recordBody(schema, { ...draft, name: 'Ann' })).toEqual({ name: 'Ann', note: null, meta: null, dept: null })
  })

  it('keep NULL and the empty string apart', () => {
    const record = { id: 7, name: 'Ann', note: null, active: true, meta: null, dept: 2 }
    const draft = draftFor(schema, record)
    expect(draft.note).toBeNull()
    expect(recordBody(schema, { ...draft, note: '' }, record)).toEqual({ id: 7, note: '' })
  })

  it('send only the key and the changed values of an edit, typed where text would be wrong', () => {
    const record = { id: 7, name: 'Ann', note: 'x', active: true, meta: { a: 1 }, dept: 2 }
    const draft = { ...draftFor(schema, record), active: 'false', meta: '[1, 2]', dept: null }
    expect(recordBody(schema, draft, record)).toEqual({ id: 7, active: false, meta: [1, 2], dept: null })
  })

  it('say what to do about a bad value before anything is sent', () => {
    const draft = { ...draftFor(schema), name: 'Too long', dept: '1.5', meta: '{', active: 'maybe' }
    expect(checkDraft(schema, draft)).toEqual({
      name: 'Enter at most 5 characters',
      dept: 'Enter a whole number',
      meta: 'Enter valid JSON, e.g. {"key": "value"} or "text"',
      active: 'Choose true or false',
    })
    expect(checkDraft(schema, { ...draftFor(schema), name: null })).toEqual({ name: 'Enter a value: this column cannot be NULL' })
  })

  it('find single-column foreign keys and key rows by their primary key', () => {
    expect(foreignKeys(schema).get('dept')).toEqual({ table: 'departments', field: 'id' })
    expect(rowId(schema, { id: 3, name: 'x' })).toBe('[3]')
  })
})
