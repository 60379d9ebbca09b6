import { describe, expect, it, vi } from 'vitest'
import { OneTimeKey } from './oneTimeKey.svelte'

describe('OneTimeKey', () => {
  it('holds a new key until closed, then forgets it', () => {
    const state = new OneTimeKey()
    expect(state.shown).toBeNull()
    state.show('billing', 'bk_secret-1', 'created')
    expect(state.shown).toEqual({ appName: 'billing', key: 'bk_secret-1', event: 'created' })
    state.close()
    expect(state.shown).toBeNull()
    expect(JSON.stringify(state)).not.toContain('bk_secret-1')
  })

  it('copies the key and says so, or says the copy failed', async () => {
    const state = new OneTimeKey()
    state.show('billing', 'bk_secret-1', 'created')
    const write = vi.fn(async () => {})
    await state.copyKey(write)
    expect(write).toHaveBeenCalledWith('bk_secret-1')
    expect(state.copy).toBe('copied')
    await state.copyKey(() => Promise.reject(new Error('denied')))
    expect(state.copy).toBe('failed')
    expect(state.shown?.key).toBe('bk_secret-1')
  })

  it('replaces a shown key with a rotated one and resets the copy state', async () => {
    const state = new OneTimeKey()
    state.show('billing', 'bk_old', 'created')
    await state.copyKey(async () => {})
    state.show('billing', 'bk_new', 'rotated')
    expect(state.shown).toEqual({ appName: 'billing', key: 'bk_new', event: 'rotated' })
    expect(state.copy).toBe('idle')
    state.close()
    expect(state.copy).toBe('idle')
  })

  it('copies nothing when no key is shown', async () => {
    const write = vi.fn(async () => {})
    await new OneTimeKey().copyKey(write)
    expect(write).not.toHaveBeenCalled()
  })
})

describe('OneTimeKey.dismiss', () => {
  it('asks before losing a key that was not copied, and not after a copy', async () => {
    const key = new OneTimeKey()
    key.show('crm', 'bak_secret', 'created')
    expect(await key.dismiss(async () => false)).toBe(false)
    expect(key.shown).not.toBeNull()
    key.copiedByHand()
    let asked = false
    expect(await key.dismiss(async () => ((asked = true), false))).toBe(true)
    expect(asked).toBe(false)
    expect(key.shown).toBeNull()
  })
})
