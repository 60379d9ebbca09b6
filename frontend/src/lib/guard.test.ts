import { describe, expect, it } from 'vitest'
import { landing, redirectFor, visibleTo } from './guard'

describe('guard', () => {
  const admin = {}
  const docs = { users: true }
  const login = { public: true }

  it('sends visitors without a session to the login page', () => {
    expect(redirectFor(admin, null)).toBe('/login')
    expect(redirectFor(docs, null)).toBe('/login')
    expect(redirectFor(login, null)).toBeNull()
  })

  it('lets admins see every private page and sends them home from the login page', () => {
    expect(redirectFor(admin, 'admin')).toBeNull()
    expect(redirectFor(docs, 'admin')).toBeNull()
    expect(redirectFor(login, 'admin')).toBe('/')
  })

  it('keeps users on the pages marked for them', () => {
    expect(redirectFor(admin, 'user')).toBe('/docs')
    expect(redirectFor(docs, 'user')).toBeNull()
    expect(redirectFor(login, 'user')).toBe('/docs')
    expect(landing('user')).toBe('/docs')
  })

  it('shows users only the navigation items marked for them', () => {
    expect(visibleTo(admin, 'user')).toBe(false)
    expect(visibleTo(docs, 'user')).toBe(true)
    expect(visibleTo(admin, 'admin')).toBe(true)
  })
})
