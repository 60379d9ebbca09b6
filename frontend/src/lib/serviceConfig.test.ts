import { describe, expect, it } from 'vitest'
import type { ConfigFieldSpec } from './api/services'
import { buildConfig, initialDraft, objectValue, type ObjectDraft } from './serviceConfig'

const field = (name: string, extra: Partial<ConfigFieldSpec> = {}): ConfigFieldSpec => ({
  name,
  label: name,
  type: 'string',
  required: false,
  secret: false,
  ...extra,
})

const schema = [
  field('engine', { required: true, choices: ['sqlite', 'postgresql'] }),
  field('host'),
  field('port', { type: 'integer' }),
  field('password', { secret: true }),
  field('options', { type: 'object' }),
  field('max_records', { type: 'integer', default: 1000 }),
]

describe('initialDraft', () => {
  it('starts a new service from the defaults', () => {
    const draft = initialDraft(schema, null)
    expect(draft.values).toMatchObject({ engine: '', host: '', port: '', password: '', max_records: '1000' })
    expect(draft.stored).toEqual({ password: false })
  })

  it('never puts a stored secret into the form', () => {
    const config = { engine: 'postgresql', host: 'db', port: 5432, password: '**********', options: { sslmode: 'require' } }
    const draft = initialDraft(schema, config)
    expect(draft.values.password).toBe('')
    expect(draft.stored).toEqual({ password: true })
    expect(draft.values.port).toBe('5432')
    expect((draft.values.options as ObjectDraft).rows).toEqual([{ key: 'sslmode', value: 'require' }])
  })

  it('shows the default of a field the stored config leaves out, so a select is never blank', () => {
    const docs = field('docs', { choices: ['follow_role', 'disabled'], default: 'follow_role' })
    expect(initialDraft([docs], { engine: 'sqlite' }).values.docs).toBe('follow_role')
    expect(initialDraft([docs], { docs: 'disabled' }).values.docs).toBe('disabled')
  })
})

describe('buildConfig', () => {
  it('leaves an untouched secret out, so the stored one is kept', () => {
    const draft = initialDraft(schema, { engine: 'postgresql', host: 'db', password: '**********' })
    const { config } = buildConfig(schema, draft, true)
    expect(config).not.toHaveProperty('password')
    expect(config).toMatchObject({ engine: 'postgresql', host: 'db', port: null })
  })

  it('sends a retyped secret, never the mask', () => {
    const draft = initialDraft(schema, { engine: 'postgresql', password: '**********' })
    draft.values.password = 'new secret'
    expect(buildConfig(schema, draft, true).config.password).toBe('new secret')
    draft.values.password = '**********'
    expect(buildConfig(schema, draft, true).config).not.toHaveProperty('password')
  })

  it('sends integers as numbers and anything else as typed, for the platform to judge', () => {
    const draft = initialDraft(schema, null)
    draft.values.port = '5432'
    draft.values.max_records = 'lots'
    expect(buildConfig(schema, draft, false).config).toMatchObject({ port: 5432, max_records: 'lots' })
  })

  it('leaves empty fields out on create', () => {
    const draft = initialDraft(schema, null)
    draft.values.engine = 'sqlite'
    expect(buildConfig(schema, draft, false).config).toEqual({ engine: 'sqlite', options: {}, max_records: 1000 })
  })

  it('reports bad JSON options under the platform’s field name', () => {
    const draft = initialDraft(schema, null)
    draft.values.options = { mode: 'json', rows: [], json: '{"a": ' }
    expect(buildConfig(schema, draft, false).errors).toEqual({ 'config.options': 'is not valid JSON' })
  })
})

describe('objectValue', () => {
  it('reads rows, skipping blank names', () => {
    const draft: ObjectDraft = { mode: 'rows', rows: [{ key: ' a ', value: '1' }, { key: '', value: 'x' }], json: '' }
    expect(objectValue(draft)).toEqual({ value: { a: '1' } })
  })

  it('reads JSON objects only', () => {
    expect(objectValue({ mode: 'json', rows: [], json: '' })).toEqual({ value: {} })
    expect(objectValue({ mode: 'json', rows: [], json: '[1]' })).toEqual({ error: 'must be a JSON object' })
  })
})

describe('a remote HTTP service (structured fields, edited as JSON)', () => {
  const http = [
    field('base_url', { required: true }),
    field('auth', {
      type: 'object',
      default: { kind: 'none' },
      fields: [field('kind'), field('token', { secret: true })],
    }),
    field('headers', { type: 'list', default: [], items: [field('name'), field('value'), field('secret')] }),
    field('forward_headers', { type: 'list', default: ['Accept'] }),
    field('timeout', { type: 'integer', default: 10 }),
    field('openapi', { type: 'json' }),
  ]

  it('starts from the defaults as JSON and sends them back as values, not text', () => {
    const draft = initialDraft(http, null)
    draft.values.base_url = 'https://api.example.com/1.1'
    const { config, errors } = buildConfig(http, draft, false)
    expect(errors).toEqual({})
    expect(config).toEqual({
      base_url: 'https://api.example.com/1.1',
      auth: { kind: 'none' },
      headers: [],
      forward_headers: ['Accept'],
      timeout: 10,
    })
  })

  it('keeps a stored secret inside an object as the mask, which the platform reads as "keep"', () => {
    const stored = { base_url: 'https://a.example', auth: { kind: 'bearer', token: '**********' }, openapi: 'https://a.example/openapi.json' }
    const draft = initialDraft(http, stored)
    const { config } = buildConfig(http, draft, true)
    expect(config.auth).toEqual({ kind: 'bearer', token: '**********' })
    expect(config.openapi).toBe('https://a.example/openapi.json') // a URL is no JSON: sent as it is
  })

  it('names a structured field whose JSON is wrong, and clears an emptied one on edit', () => {
    const draft = initialDraft(http, { base_url: 'https://a.example', openapi: { openapi: '3.0.0' } })
    ;(draft.values.headers as ObjectDraft).json = '{"name": "X"}'
    ;(draft.values.auth as ObjectDraft).json = '{not json'
    ;(draft.values.openapi as ObjectDraft).json = ''
    const { config, errors } = buildConfig(http, draft, true)
    expect(errors).toEqual({ 'config.headers': 'must be a JSON list', 'config.auth': 'is not valid JSON' })
    expect(config.openapi).toBeNull()
  })
})
