import { describe, expect, it } from 'vitest'
import { ApiError } from './api/client'
import type { ColumnInfo } from './api/data'
import type { Role } from './api/roles'
import { placeErrors } from './forms'
import { ALL_SERVICES, UNCHOSEN, entryDraft, entryErrors, entryProblems, normalizeErrorKey, roleDraft, roleFieldKeys, serializeRole, tableOf } from './roleForm'

const column = (name: string, type: string) => ({ name, type }) as ColumnInfo
const employees = [column('id', 'integer'), column('department_id', 'integer'), column('salary', 'decimal'), column('email', 'string'), column('is_active', 'boolean')]

const role: Role = {
  id: 4,
  name: 'sales',
  description: 'Sales staff',
  is_active: true,
  access: [
    {
      service: 'hr',
      component: '_table/employees',
      verbs: ['GET', 'PATCH'],
      filters: [
        { name: 'department_id', operator: 'in', value: [2, 3] },
        { name: 'email', operator: '=', value: '{user.email}' },
      ],
      filter_op: 'OR',
      fields: ['id', 'email'],
    },
    { service: null, component: '_schema', verbs: ['GET'], filters: [], filter_op: 'AND', fields: null },
  ],
}

describe('role serialisation', () => {
  it('sends back what it loaded: service null, filters, OR, the column list', () => {
    const draft = roleDraft(role)
    expect(draft.entries[0].filters[0].value).toBe('2, 3')
    expect(draft.entries[1].service).toBe('')
    expect(serializeRole(draft, (e) => (tableOf(e.component) === 'employees' ? employees : []))).toEqual({
      name: 'sales',
      description: 'Sales staff',
      is_active: true,
      access: role.access,
    })
  })

  it('sends fields null for all columns and a list once limited, even an empty one', () => {
    const entry = entryDraft()
    const draft = { ...roleDraft(null), name: ' new ', entries: [entry] }
    expect(serializeRole(draft).access?.[0].fields).toBeNull()
    entry.limitFields = true
    expect(serializeRole(draft).access?.[0].fields).toEqual([])
    entry.fields = ['id']
    entry.limitFields = false
    expect(serializeRole(draft).access?.[0].fields).toBeNull()
    expect(serializeRole(draft).name).toBe('new')
  })

  it('types filter values by their column and sends none for the null tests', () => {
    const entry = { ...entryDraft(), service: 'hr', component: '_table/employees' }
    entry.filters = [
      { name: 'salary', operator: '>=', value: ' 50000.5 ' },
      { name: 'department_id', operator: 'not in', value: '1, 2,,x' },
      { name: 'email', operator: 'like', value: '%@example.com' },
      { name: 'is_active', operator: '=', value: 'TRUE' },
      { name: 'id', operator: 'is not null', value: 'ignored' },
      { name: 'id', operator: '=', value: '{user.id}' },
    ]
    const [sent] = serializeRole({ ...roleDraft(null), entries: [entry] }, () => employees).access ?? []
    expect(sent.filters.map((f) => f.value)).toEqual([50000.5, [1, 2, 'x'], '%@example.com', true, null, '{user.id}'])
  })

  it('orders verbs and sends docs entries as GET only, without filters or columns', () => {
    const entry = { ...entryDraft(), verbs: ['DELETE', 'GET'] }
    expect(serializeRole({ ...roleDraft(null), entries: [entry] }).access?.[0].verbs).toEqual(['GET', 'DELETE'])
    const docs = { ...entryDraft(), service: 'api_docs', component: 'hr', verbs: [], limitFields: true, filters: [{ name: 'x', operator: '=', value: '1' }] }
    expect(serializeRole({ ...roleDraft(null), entries: [docs] }).access?.[0]).toEqual({
      service: 'api_docs', component: 'hr', verbs: ['GET'], filters: [], filter_op: 'AND', fields: null,
    })
  })

  it('finds the table a component names', () => {
    expect(['_table/employees', '_table/employees/*', '_schema/employees'].map(tableOf)).toEqual(['employees', 'employees', 'employees'])
    expect(['', '*', '_table', '_table/*', '_schema/*'].map(tableOf)).toEqual([null, null, null, null, null])
  })
})

describe('server error keys on entries', () => {
  it('brings both key forms to the entry and part the editor shows', () => {
    expect(normalizeErrorKey('access[0].component')).toBe('access[0].component')
    expect(normalizeErrorKey('access.0.verbs')).toBe('access[0].verbs')
    expect(normalizeErrorKey('access.1.verbs.2')).toBe('access[1].verbs')
    expect(normalizeErrorKey('access[0].filters[1].name')).toBe('access[0].filters[1].name')
    expect(normalizeErrorKey('access.0.filters.1.operator')).toBe('access[0].filters[1].operator')
    expect(normalizeErrorKey('access.0.filters.1')).toBe('access[0].filters[1]')
    expect(normalizeErrorKey('access.2.verb_mask')).toBe('access[2]')
    expect(normalizeErrorKey('access.2')).toBe('access[2]')
    expect(normalizeErrorKey('access')).toBe('access')
    expect(normalizeErrorKey('name')).toBe('name')
  })

  it('places messages on the right entry and leaves unknown entries to a toast', () => {
    const draft = roleDraft(role)
    const error = new ApiError(400, 'Invalid', {
      errors: {
        'access[1].component': "unknown table 'x' in service 'hr'",
        'access[0].filters[1].name': "unknown column 'mail'",
        'access.0.verbs.0': "unknown verb 'FETCH'",
        'access[5].service': "unknown service 'nope'",
        name: 'already in use',
      },
    })
    const { fields, unplaced } = placeErrors(error, roleFieldKeys(draft.entries), normalizeErrorKey)
    expect(entryErrors(fields, 0)).toEqual({ 'filters[1].name': "unknown column 'mail'", verbs: "unknown verb 'FETCH'" })
    expect(entryErrors(fields, 1)).toEqual({ component: "unknown table 'x' in service 'hr'" })
    expect(fields.name).toBe('already in use')
    expect(unplaced).toEqual(["access[5].service: unknown service 'nope'"])
  })

  it('keeps a message about a whole entry on that entry', () => {
    expect(entryErrors({ 'access[1]': 'verb_mask must be a whole number from 0 to 31', 'access[10].verbs': 'x' }, 1)).toEqual({
      entry: 'verb_mask must be a whole number from 0 to 31',
    })
  })
})

describe('problems seen before sending', () => {
  it('asks for a service on a new entry: it grants nothing until one (or "All services") is chosen', () => {
    const fresh = entryDraft()
    expect(fresh.service).toBe(UNCHOSEN)
    expect(entryProblems([fresh])).toEqual({ 'access[0].service': 'Choose a service, or "All services" for every one' })
    expect(entryProblems([{ ...fresh, service: ALL_SERVICES }])).toEqual({})
    expect(entryDraft({ service: null, component: '*', verbs: ['GET'], filters: [], filter_op: 'AND', fields: null }).service).toBe(ALL_SERVICES)
  })

  it('asks for a column when "Only these columns" is ticked with none chosen on a verb that uses columns', () => {
    const limited = (verbs: string[], fields: string[] = []) => ({ ...entryDraft(), service: 'hr', component: '_table/employees', verbs, limitFields: true, fields })
    const entries = [limited(['GET']), limited(['DELETE']), limited(['GET'], ['id']), { ...entryDraft(), service: '', verbs: ['PATCH'] }, limited([])]
    expect(entryProblems(entries)).toEqual({ 'access[0].fields': 'Choose at least one column, or untick "Only these columns" to allow every column' })
    expect(entryErrors(entryProblems(entries), 0)).toEqual({ fields: 'Choose at least one column, or untick "Only these columns" to allow every column' })
  })
})
