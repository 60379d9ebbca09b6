import { describe, expect, it } from 'vitest'
import { spotlight, takeSpotlight } from './spotlight'

describe('spotlight', () => {
  it('hands the saved item to its own list, once', () => {
    spotlight('/roles', 42)
    expect(takeSpotlight('/roles')).toBe(42)
    expect(takeSpotlight('/roles')).toBeNull()
  })

  it('is gone once another list was shown first', () => {
    spotlight('/roles', 42)
    expect(takeSpotlight('/apps')).toBeNull()
    expect(takeSpotlight('/roles')).toBeNull()
  })
})
