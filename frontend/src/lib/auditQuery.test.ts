import { describe, expect, it } from 'vitest'
import { changeLines, queryFromView, viewFromQuery } from './auditQuery'

describe('the audit view in the route', () => {
  it('reads filters and paging, ignoring malformed paging', () => {
    const view = viewFromQuery(new URLSearchParams('action=login&actor=%20a@b.c%20&offset=50&limit=x'))
    expect(view).toEqual({ filter: { action: 'login', actor: 'a@b.c' }, offset: 50, limit: 25 })
  })

  it('round-trips a view and leaves defaults out', () => {
    const view = { filter: { resource_type: 'app', resource_id: '3' }, offset: 25, limit: 50 }
    expect(viewFromQuery(new URLSearchParams(queryFromView(view).split('?')[1]))).toEqual(view)
    expect(queryFromView({ filter: {}, offset: 0, limit: 25 })).toBe('/audit')
  })
})

describe('changeLines', () => {
  it('shows each changed field once, created and deleted fields too', () => {
    expect(changeLines({ name: 'a', gone: 1 }, { name: 'b', added: true })).toEqual(['name: "a" → "b"', 'gone: 1 → ∅', 'added: true'])
    expect(changeLines(null, null)).toEqual([])
  })
})
