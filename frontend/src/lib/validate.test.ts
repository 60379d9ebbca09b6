import { describe, expect, it } from 'vitest'
import { check, chosen, email, password, required, serviceName, wholeNumber } from './validate'

describe('checks before sending', () => {
  it('names the empty required fields in the platform words', () => {
    const errors = check({ name: '  ', email: '' }, { name: [required('a name')], email: [required('an e-mail address'), email] })
    expect(errors).toEqual({ name: 'Enter a name', email: 'Enter an e-mail address' })
    expect(check({ app: '' }, { app: [chosen('an app')] })).toEqual({ app: 'Choose an app' })
  })

  it('checks formats only once something is typed', () => {
    expect(check({ email: 'x@' }, { email: [email] })).toEqual({ email: 'Enter an e-mail address such as name@example.com' })
    expect(check({ p: 'short' }, { p: [password] }).p).toBe('Use at least 12 characters')
    expect(check({ n: 'Bad Name' }, { n: [serviceName] }).n).toMatch(/lower-case/)
    expect(check({ n: '86401' }, { n: [wholeNumber(0, 86400)] }).n).toBe('Enter a whole number from 0 to 86400')
    expect(check({ email: '', p: '', n: '', m: '' }, { email: [email], p: [password], n: [serviceName], m: [wholeNumber(0, 1)] })).toEqual({})
  })
})
