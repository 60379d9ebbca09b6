import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/client'
import { notifyError, notifyInfo, notifySuccess, notifyWarning, toasts } from './toasts.svelte'

beforeEach(() => {
  toasts.splice(0)
})

afterEach(() => {
  vi.useRealTimers()
})

describe('toasts', () => {
  it('shows the same message once, with the latest request id', () => {
    notifyError(new TypeError('Cannot reach the platform'))
    notifyError(new TypeError('Cannot reach the platform'))
    notifyError(new ApiError(500, 'Internal server error', null, 'r1'))
    notifyError(new ApiError(500, 'Internal server error', null, 'r2'))
    expect(toasts.map((t) => [t.message, t.requestId])).toEqual([
      ['Cannot reach the platform', null],
      ['Internal server error', 'r2'],
    ])
  })

  it('keeps different messages, and a success apart from an error of the same words', () => {
    notifyError(new ApiError(409, 'Role is in use', null, 'r1'))
    notifyError(new ApiError(400, 'Enter a name', null, 'r2'))
    notifySuccess('Role is in use')
    expect(toasts.map((t) => [t.kind, t.message])).toEqual([
      ['error', 'Role is in use'],
      ['error', 'Enter a name'],
      ['success', 'Role is in use'],
    ])
  })

  it('skips a 401: the login page says the session ended', () => {
    notifyError(new ApiError(401, 'Session expired', null, 'r1'))
    expect(toasts).toHaveLength(0)
  })

  it('keeps a warning until it is closed, while a success and an info fade', () => {
    vi.useFakeTimers()
    notifySuccess('Service hr created')
    notifyWarning('Service hr: config.database: /srv/hr.db does not exist on this host')
    notifyInfo('Rule api/*: shadows rule 2')
    vi.advanceTimersByTime(60_000)
    expect(toasts.map((t) => [t.kind, t.message])).toEqual([
      ['warning', 'Service hr: config.database: /srv/hr.db does not exist on this host'],
    ])
  })
})
