import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError } from '../api/client'
import { FormState } from './form.svelte'
import { toasts } from './toasts.svelte'

const reject = (error: unknown) => () => Promise.reject(error)

beforeEach(() => {
  toasts.splice(0)
})

describe('FormState.submit', () => {
  it('returns the result and clears old messages on success', async () => {
    const form = new FormState(() => ['email'])
    form.errors = { email: 'old' }
    expect(await form.submit(async () => 42)).toBe(42)
    expect(form.errors).toEqual({})
    expect(form.busy).toBe(false)
  })

  it('shows validation messages on their fields and raises no toast', async () => {
    const form = new FormState(() => ['name', 'config.database'])
    const error = new ApiError(400, 'Invalid', { errors: { 'config.database': 'must be an absolute file path' } }, 'r1')
    expect(await form.submit(reject(error))).toBeUndefined()
    expect(form.errors).toEqual({ 'config.database': 'must be an absolute file path' })
    expect(toasts).toHaveLength(0)
  })

  it('toasts the messages of fields it does not show, with the request id', async () => {
    const form = new FormState(() => ['name'])
    const error = new ApiError(400, 'Invalid', { errors: { name: 'taken', colour: 'unknown field' } }, 'r2')
    await form.submit(reject(error))
    expect(form.errors).toEqual({ name: 'taken' })
    expect(toasts.map((t) => [t.kind, t.message, t.requestId])).toEqual([['error', 'colour: unknown field', 'r2']])
  })

  it('toasts any other error with its request id', async () => {
    const form = new FormState(() => ['name'])
    await form.submit(reject(new ApiError(409, 'The last active admin cannot be deactivated or deleted', null, 'r3')))
    expect(form.errors).toEqual({})
    expect(toasts.map((t) => [t.message, t.requestId])).toEqual([['The last active admin cannot be deactivated or deleted', 'r3']])
  })

  it('maps server keys through its normalizer before placing them', async () => {
    const form = new FormState(() => ['app_roles[1].app_id'], (key) => key.replace(/\.(\d+)(?=\.|$)/g, '[$1]'))
    const error = new ApiError(400, 'Invalid', { errors: { 'app_roles.1.app_id': 'one role per app' } }, 'r4')
    await form.submit(reject(error))
    expect(form.errors).toEqual({ 'app_roles[1].app_id': 'one role per app' })
    expect(toasts).toHaveLength(0)
  })

  it('leaves a 401 to the session handler', async () => {
    await new FormState(() => []).submit(reject(new ApiError(401, 'Session expired')))
    expect(toasts).toHaveLength(0)
  })
})

describe('FormState.clear', () => {
  it('drops the message of the edited field and of the parts inside it, and only those', () => {
    const form = new FormState(() => [])
    form.errors = { name: 'Enter a name', 'access[0]': 'bad', 'access[0].verbs': 'x', 'access[1].verbs': 'y', access: 'z' }
    form.clear('name')
    form.clear('access[0]')
    expect(form.errors).toEqual({ 'access[1].verbs': 'y', access: 'z' })
  })

  it('shows the browser checks and says whether the form may be sent', () => {
    const form = new FormState(() => ['name'])
    expect(form.accept({ name: 'Enter a name' })).toBe(false)
    expect(form.errors.name).toBe('Enter a name')
    expect(form.accept({})).toBe(true)
  })
})
