import { describe, expect, it } from 'vitest'
import { pageStart, sortRows } from './listing'

const rows = [
  { id: 1, name: 'role-10', access: [1, 2], is_active: true, last_login_at: null },
  { id: 2, name: 'Role-9', access: [], is_active: false, last_login_at: '2026-11-30T10:00:00Z' },
  { id: 3, name: 'ärger', access: [1], is_active: true, last_login_at: '2026-12-01T09:00:00Z' },
  { id: 4, name: '', access: [1, 2, 3], is_active: false, last_login_at: null },
]
const ids = (sorted: typeof rows) => sorted.map((r) => r.id)

describe('sortRows', () => {
  it('sorts text as people read it: case and accents aside, numbers by value; empty last either way', () => {
    expect(ids(sortRows(rows, { key: 'name', desc: false }))).toEqual([3, 2, 1, 4])
    expect(ids(sortRows(rows, { key: 'name', desc: true }))).toEqual([1, 2, 3, 4])
  })

  it('sorts lists by their length, true before false, and missing times last', () => {
    expect(ids(sortRows(rows, { key: 'access', desc: false }))).toEqual([2, 3, 1, 4])
    expect(ids(sortRows(rows, { key: 'is_active', desc: false }))).toEqual([1, 3, 2, 4])
    expect(ids(sortRows(rows, { key: 'last_login_at', desc: true }))).toEqual([3, 2, 1, 4])
  })

  it('keeps the order it was given without a sort, and never changes its input', () => {
    const copy = [...rows]
    expect(ids(sortRows(rows, null))).toEqual([1, 2, 3, 4])
    sortRows(rows, { key: 'name', desc: true })
    expect(rows).toEqual(copy)
  })
})

describe('pageStart', () => {
  it('is the offset of the page that holds a row', () => {
    expect(pageStart(0, 10)).toBe(0)
    expect(pageStart(9, 10)).toBe(0)
    expect(pageStart(10, 10)).toBe(10)
    expect(pageStart(12, 10)).toBe(10)
    expect(pageStart(51, 25)).toBe(50)
  })
})
