import { describe, expect, it } from 'vitest'
import { listQueryString, readListQuery } from './listQuery'

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
})
