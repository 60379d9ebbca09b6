import { describe, expect, it } from 'vitest'
import { canSort, listQueryString, readListQuery, readSortedQuery } from './listQuery'

describe('list query in the route', () => {
  it('round-trips filter, page and size, leaving defaults out', () => {
    const state = readListQuery(new URLSearchParams('filter=ops&page=3&size=10'))
    expect(state).toEqual({ filter: 'ops', offset: 20, limit: 10 })
    expect(listQueryString(state)).toBe('?filter=ops&page=3&size=10')
    expect(listQueryString({ filter: '', offset: 0, limit: 25 })).toBe('')
  })

  it('falls back to the defaults for malformed values', () => {
    expect(readListQuery(new URLSearchParams('page=-1&size=7'))).toEqual({ filter: '', offset: 0, limit: 25 })
    expect(readListQuery(new URLSearchParams('page=x'), 50)).toEqual({ filter: '', offset: 0, limit: 50 })
  })

  it('leaves a sort in the route out of a list that does not sort', () => {
    expect(readListQuery(new URLSearchParams('sort=name'))).toEqual({ filter: '', offset: 0, limit: 25 })
  })
})

describe('sorted list query in the route', () => {
  it('round-trips filter, sort, page and size, leaving defaults out', () => {
    const state = { filter: "name like 'K%' and a = '#1&2?'", sort: { key: 'salary', desc: true }, offset: 100, limit: 50 }
    const text = listQueryString(state)
    expect(readSortedQuery(new URLSearchParams(text.slice(1)))).toEqual(state)
    expect(text).not.toContain('#')
    expect(listQueryString({ filter: '', sort: null, offset: 0, limit: 25 })).toBe('')
  })

  it('falls back to defaults for malformed values', () => {
    expect(readSortedQuery(new URLSearchParams('page=-2&size=7&sort='))).toEqual({ filter: '', sort: null, offset: 0, limit: 25 })
    expect(readSortedQuery(new URLSearchParams('page=3&size=10&sort=name'))).toMatchObject({ offset: 20, limit: 10, sort: { key: 'name', desc: false } })
  })
})

describe('sortable columns', () => {
  it('are those whose names the order parameter can carry', () => {
    expect(['salary', 'Ünïcode', 'a-b'].map(canSort)).toEqual([true, true, true])
    expect(['two words', 'a,b', 'tab\there'].map(canSort)).toEqual([false, false, false])
  })
})
