import { describe, expect, it } from 'vitest'
import { canSort, gridQueryString, readGridQuery } from './gridQuery'

describe('grid query in the route', () => {
  it('round-trips filter, sort, page and size, leaving defaults out', () => {
    const state = { filter: "name like 'K%' and a = '#1&2?'", sort: { key: 'salary', desc: true }, offset: 100, limit: 50 }
    const text = gridQueryString(state)
    expect(readGridQuery(new URLSearchParams(text.slice(1)))).toEqual(state)
    expect(text).not.toContain('#')
    expect(gridQueryString({ filter: '', sort: null, offset: 0, limit: 25 })).toBe('')
  })

  it('falls back to defaults for malformed values', () => {
    expect(readGridQuery(new URLSearchParams('page=-2&size=7&sort='))).toEqual({ filter: '', sort: null, offset: 0, limit: 25 })
    expect(readGridQuery(new URLSearchParams('page=3&size=10&sort=name'))).toMatchObject({ offset: 20, limit: 10, sort: { key: 'name', desc: false } })
  })
})

describe('sortable columns', () => {
  it('are those whose names the order parameter can carry', () => {
    expect(['salary', 'Ünïcode', 'a-b'].map(canSort)).toEqual([true, true, true])
    expect(['two words', 'a,b', 'tab\there'].map(canSort)).toEqual([false, false, false])
  })
})
