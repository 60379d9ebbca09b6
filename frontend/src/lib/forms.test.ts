import { describe, expect, it } from 'vitest'
import { ApiError } from './api/client'
import { bracketIndexes, listItemsToList, placeErrors, textToList } from './forms'

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

describe('key normalizers', () => {
  it('shows list items on their list and brackets dotted indexes', () => {
    expect(listItemsToList('origins.0')).toBe('origins')
    expect(listItemsToList('origins[2]')).toBe('origins')
    expect(listItemsToList('max_age')).toBe('max_age')
    expect(bracketIndexes('app_roles.0.app_id')).toBe('app_roles[0].app_id')
    expect(bracketIndexes('app_roles[1].role_id')).toBe('app_roles[1].role_id')
  })

  it('places normalized keys and joins messages that land on one field', () => {
    const error = validation({ 'origins.0': 'bad origin', origins: 'too broad', path: 'required' })
    expect(placeErrors(error, ['origins'], listItemsToList)).toEqual({
      fields: { origins: 'bad origin; too broad' },
      unplaced: ['path: required'],
    })
  })
})

describe('textToList', () => {
  it('reads one item per line or comma and drops blanks', () => {
    expect(textToList(' https://a.example.com \n\nhttps://b.example.com, http://localhost:5173\n')).toEqual([
      'https://a.example.com',
      'https://b.example.com',
      'http://localhost:5173',
    ])
    expect(textToList('  ')).toEqual([])
  })
})
