import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError } from '../api/client'
import { notifyError, notifySuccess, toasts } from './toasts.svelte'

beforeEach(() => {
  toasts.splice(0)
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
})
