import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError } from '../api/client'
import { ClientList } from './list.svelte'
import { toasts } from './toasts.svelte'

const admins = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, email: `a${i + 1}@example.com`, name: i % 2 ? 'Odd' : 'Even' }))

beforeEach(() => {
  toasts.splice(0)
})

describe('ClientList', () => {
  it('filters on its keys and pages the result', async () => {
    const list = new ClientList<(typeof admins)[number]>(['email', 'name'], 10)
    await list.load(async () => admins)
    expect(list.loading).toBe(false)
    expect(list.shown.map((a) => a.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    list.page(20, 10)
    expect(list.shown.map((a) => a.id)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30])
    list.search = 'odd'
    list.page(0, 25)
    expect(list.filtered).toHaveLength(15)
    expect(list.shown.every((a) => a.name === 'Odd')).toBe(true)
    list.sort = { key: 'id', desc: true }
    expect(list.shown.slice(0, 3).map((a) => a.id)).toEqual([30, 28, 26])
  })

  it('keeps what it had and shows the error when a reload fails', async () => {
    const list = new ClientList<(typeof admins)[number]>(['email'])
    await list.load(async () => admins)
    await list.load(() => Promise.reject(new ApiError(500, 'Internal server error', null, 'r9')))
    expect(list.items).toHaveLength(30)
    expect(list.loading).toBe(false)
    expect(toasts.map((t) => [t.message, t.requestId])).toEqual([['Internal server error', 'r9']])
  })

  it('says why it holds nothing when the first fetch failed, and forgets it once a fetch works', async () => {
    const list = new ClientList<(typeof admins)[number]>(['email'])
    await list.load(() => Promise.reject(new TypeError('Cannot reach the platform')))
    expect(list.items).toEqual([])
    expect(list.failed).toBe('Cannot reach the platform')
    await list.load(async () => admins)
    expect(list.failed).toBeNull()
  })

  it('acts, says so and reloads; a failed action says why and keeps the list', async () => {
    const list = new ClientList<(typeof admins)[number]>(['email'])
    let fetches = 0
    const fetch = async () => {
      fetches += 1
      return admins.slice(0, 30 - fetches)
    }
    await list.load(fetch)
    await list.act(async () => 'ok', 'Admin deleted', fetch)
    expect(list.items).toHaveLength(28)
    expect(toasts.map((t) => t.message)).toEqual(['Admin deleted'])
    await list.act(() => Promise.reject(new ApiError(409, 'Admin is in use', null, 'r1')), 'never', fetch)
    expect(list.items).toHaveLength(28)
    expect(fetches).toBe(2)
    expect(toasts.map((t) => t.message)).toEqual(['Admin deleted', 'Admin is in use'])
    expect(list.changes).toBe(1)
  })

  it('places a row on the page that holds it, in its sort, and drops the search only when it hides the row', async () => {
    const list = new ClientList<(typeof admins)[number]>(['email', 'name'], 10)
    await list.load(async () => admins)
    const id = (n: number) => (row: (typeof admins)[number]) => row.id === n
    expect(list.placeOf(id(1))).toEqual({ filter: '', offset: 0 })
    expect(list.placeOf(id(23))).toEqual({ filter: '', offset: 20 })
    list.sort = { key: 'id', desc: true }
    expect(list.placeOf(id(23))).toEqual({ filter: '', offset: 0 })
    // The search finds the even ids (named "Odd"): 30, 28, ... 12 on its first page, 10 on its second.
    list.search = 'odd'
    expect(list.placeOf(id(12))).toEqual({ filter: 'odd', offset: 0 })
    expect(list.placeOf(id(10))).toEqual({ filter: 'odd', offset: 10 })
    // An odd id is hidden by the search: the search goes, and the page is the one of the whole list.
    expect(list.placeOf(id(29))).toEqual({ filter: '', offset: 0 })
    expect(list.placeOf(id(7))).toEqual({ filter: '', offset: 20 })
    expect(list.placeOf(id(99))).toBeNull()
  })

  it('hands the result back, and says what `done` makes of it (nothing for null)', async () => {
    const list = new ClientList<(typeof admins)[number]>(['email'])
    const fetch = async () => admins
    expect(await list.act(async () => ({ key: 'k' }), (r) => `got ${r.key}`, fetch)).toEqual({ key: 'k' })
    expect(await list.act(async () => 7, () => null, fetch)).toBe(7)
    expect(toasts.map((t) => t.message)).toEqual(['got k'])
  })
})
