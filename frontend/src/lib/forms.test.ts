import { describe, expect, it } from 'vitest'
import { ApiError } from './api/client'
import { placeErrors } from './forms'

const validation = (errors: Record<string, string>) => new ApiError(400, 'Invalid', { errors }, 'req-1')

describe('placeErrors', () => {
  it('puts each message on the field the form shows, dotted names included', () => {
    const error = validation({ name: 'already in use', 'config.port': 'must be a whole number from 1 to 65535' })
    expect(placeErrors(error, ['name', 'label', 'config.port'])).toEqual({
      fields: { name: 'already in use', 'config.port': 'must be a whole number from 1 to 65535' },
      unplaced: [],
    })
  })

  it('hands back messages for fields the form does not show', () => {
    const error = validation({ email: 'must be an email address', extra: 'unknown field', body: 'Field required' })
    expect(placeErrors(error, ['email'])).toEqual({
      fields: { email: 'must be an email address' },
      unplaced: ['extra: unknown field', 'Field required'],
    })
  })

  it('places nothing for errors without field messages', () => {
    expect(placeErrors(new ApiError(500, 'Internal server error'), ['email'])).toEqual({ fields: {}, unplaced: [] })
    expect(placeErrors(new Error('boom'), ['email'])).toEqual({ fields: {}, unplaced: [] })
    // A batch failure lists record indexes, not fields.
    expect(placeErrors(new ApiError(400, 'Batch failed', { errors: [0, 2] }), ['email']).fields).toEqual({})
  })
})
