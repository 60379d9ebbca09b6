import { describe, expect, it } from 'vitest'
import { parseTime } from './time'

describe('parseTime', () => {
  it('reads a time without an offset as UTC, as the platform stores it', () => {
    expect(parseTime('2026-12-01T14:09:15.048237').toISOString()).toBe('2026-12-01T14:09:15.048Z')
    expect(parseTime('2026-12-01T14:09:15').getTime()).toBe(Date.UTC(2026, 11, 1, 14, 9, 15))
  })

  it('keeps the offset a time carries', () => {
    expect(parseTime('2026-12-01T14:09:15+00:00').toISOString()).toBe('2026-12-01T14:09:15.000Z')
    expect(parseTime('2026-12-01T15:09:15+01:00').toISOString()).toBe('2026-12-01T14:09:15.000Z')
    expect(parseTime('2026-12-01T14:09:15Z').toISOString()).toBe('2026-12-01T14:09:15.000Z')
  })
})
