import { describe, expect, it } from 'vitest'
import { findRoute, link, matchPath, parseHash } from './routing'

describe('routing', () => {
  it('parses hashes into a path and a query', () => {
    expect(parseHash('').path).toBe('/')
    expect(parseHash('#/services/').path).toBe('/services')
    const location = parseHash('#/services/hr/tables?offset=25')
    expect(location.path).toBe('/services/hr/tables')
    expect(location.query.get('offset')).toBe('25')
  })

  it('matches patterns and decodes params', () => {
    expect(matchPath('/services/:service/tables/:table', '/services/hr/tables/order%20lines')).toEqual({
      service: 'hr',
      table: 'order lines',
    })
    expect(matchPath('/services/:id/edit', '/services/3')).toBeNull()
    expect(matchPath('/', '/')).toEqual({})
  })

  it('takes the first matching route, so fixed paths win over params', () => {
    const routes = [{ path: '/services/new' }, { path: '/services/:id' }]
    expect(findRoute(routes, '/services/new')?.route.path).toBe('/services/new')
    expect(findRoute(routes, '/services/7')?.params).toEqual({ id: '7' })
    expect(findRoute(routes, '/nowhere')).toBeNull()
    // An id is a number: anything else is no page, never a request for record NaN.
    expect(findRoute(routes, '/services/abc')).toBeNull()
    expect(findRoute(routes, '/services/7x')).toBeNull()
  })

  it('builds encoded links', () => {
    expect(link('services', 'hr', 'tables', 'a/b')).toBe('#/services/hr/tables/a%2Fb')
  })
})
