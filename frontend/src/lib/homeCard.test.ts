import { describe, expect, it } from 'vitest'
import { loadCard, shown, type CardState } from './homeCard'

describe('home cards', () => {
  it('show "…" while loading, the value once loaded, and "—" with the reason once a load failed', async () => {
    const card: CardState<{ n: number }> = { value: null, failed: null }
    expect(shown(card, card.value?.n)).toBe('…')
    await loadCard(card, async () => ({ n: 0 }))
    expect(shown(card, card.value?.n)).toBe('0')
    const broken: CardState<{ n: number }> = { value: null, failed: null }
    await loadCard(broken, async () => {
      throw new Error('Cannot reach the platform')
    })
    expect(broken.failed).toBe('Cannot reach the platform')
    expect(shown(broken, broken.value?.n)).toBe('—')
  })
})
