import { describe, expect, it } from 'vitest'
import { redirectFor } from './lib/guard'
import { findRoute } from './lib/routing'
import { routes } from './routes'

const route = (path: string) => {
  const found = findRoute(routes, path)
  if (!found) throw new Error(`no route for ${path}`)
  return found.route
}

describe('self-service routes', () => {
  it('reaches registration, confirmation and both reset pages without a session', () => {
    for (const path of ['/register', '/confirm', '/forgot-password', '/reset-password']) {
      expect(redirectFor(route(path), null)).toBeNull()
    }
  })

  it('gives users their own account page and keeps the registration setting for admins', () => {
    expect(redirectFor(route('/profile'), 'user')).toBeNull()
    expect(redirectFor(route('/profile'), null)).toBe('/login')
    expect(redirectFor(route('/registration'), 'user')).toBe('/docs')
    expect(redirectFor(route('/registration'), 'admin')).toBeNull()
  })
})
