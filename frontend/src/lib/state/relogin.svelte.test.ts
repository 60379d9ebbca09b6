import { beforeEach, describe, expect, it, vi } from 'vitest'
import { relogin } from './relogin.svelte'

const who = { email: 'ops@example.com', kind: 'admin' as const }
let end = vi.fn()

beforeEach(() => {
  relogin.settle(false)
  end = vi.fn()
})

describe('relogin', () => {
  it('ends the session at once when no form is open', async () => {
    expect(await relogin.unauthorized(who, end)).toBe(false)
    expect(end).toHaveBeenCalledTimes(1)
    expect(relogin.asking).toBeNull()
  })

  it('asks once over an open form, every waiting call gets the answer, and nothing ends after a login', async () => {
    const release = relogin.holdForm()
    const first = relogin.unauthorized(who, end)
    const second = relogin.unauthorized(who, end)
    expect(relogin.asking).toEqual(who)
    relogin.settle(true)
    expect(await Promise.all([first, second])).toEqual([true, true])
    expect(end).not.toHaveBeenCalled()
    expect(relogin.asking).toBeNull()
    release()
  })

  it('ends the session when the admin cancels', async () => {
    const release = relogin.holdForm()
    const answer = relogin.unauthorized(who, end)
    relogin.settle(false)
    expect(await answer).toBe(false)
    expect(end).toHaveBeenCalled()
    release()
  })

  it('keeps asking while the question is on screen, even once the form has gone (Back)', async () => {
    const release = relogin.holdForm()
    const first = relogin.unauthorized(who, end)
    release()
    expect(relogin.formOpen).toBe(false)
    const late = relogin.unauthorized(who, end)
    relogin.settle(true)
    expect(await Promise.all([first, late])).toEqual([true, true])
  })

  it('does not ask without an account to log in again (the session already ended)', async () => {
    const release = relogin.holdForm()
    expect(await relogin.unauthorized(null, end)).toBe(false)
    expect(relogin.asking).toBeNull()
    expect(end).toHaveBeenCalled()
    release()
  })

  it('counts a form released twice once', () => {
    const a = relogin.holdForm()
    const b = relogin.holdForm()
    a()
    a()
    expect(relogin.formOpen).toBe(true)
    b()
    expect(relogin.formOpen).toBe(false)
  })
})
