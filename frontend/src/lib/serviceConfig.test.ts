import { describe, expect, it } from 'vitest'
import type { ConfigFieldSpec } from './api/services'
import { authFieldsFor, authKinds, keepsStored, type AuthDraft, type HeadersDraft } from './httpConfig'
import { buildConfig, configFieldOf, initialDraft, objectValue, type ObjectDraft } from './serviceConfig'

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

describe('a remote HTTP service (auth and headers editors, other structured fields as JSON)', () => {
  // As GET /api/v2/system/service_type describes the type: each auth key names the kinds it is for.
  const http = [
    field('base_url', { required: true }),
    field('auth', {
      type: 'object',
      default: { kind: 'none' },
      fields: [
        field('kind', { required: true, choices: ['none', 'header', 'query', 'basic', 'bearer'], default: 'none' }),
        field('name', { description: 'For kinds header and query' }),
        field('value', { secret: true, description: 'For kinds header and query' }),
        field('username', { description: 'For kind basic' }),
        field('password', { secret: true, description: 'For kind basic' }),
        field('token', { secret: true, description: 'For kind bearer' }),
      ],
    }),
    field('headers', { type: 'list', default: [], items: [field('name'), field('value'), field('secret')] }),
    field('forward_headers', { type: 'list', default: ['Accept'] }),
    field('timeout', { type: 'integer', default: 10 }),
    field('openapi', { type: 'json' }),
  ]
  const auth = http[1]

  it('starts from the defaults and sends them back as values, not text', () => {
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

  it('asks each auth kind for its own keys, read from the description', () => {
    expect(authKinds(auth)).toEqual(['none', 'header', 'query', 'basic', 'bearer'])
    const keys = (kind: string) => authFieldsFor(auth, kind).map((f) => f.name)
    expect(keys('none')).toEqual([])
    expect(keys('header')).toEqual(['name', 'value'])
    expect(keys('query')).toEqual(['name', 'value'])
    expect(keys('basic')).toEqual(['username', 'password'])
    expect(keys('bearer')).toEqual(['token'])
  })

  it('sends the chosen kind with only its keys, a typed secret as typed', () => {
    const draft = initialDraft(http, null)
    const editor = draft.values.auth as AuthDraft
    editor.kind = 'basic'
    editor.values.username = ' bot '
    editor.values.password = 'p4ss word'
    editor.values.token = 'left over from another kind'
    expect(buildConfig(http, draft, false).config.auth).toEqual({ kind: 'basic', username: 'bot', password: 'p4ss word' })
  })

  it('never puts a stored secret in the form, and sends the mask back unless a new one is typed', () => {
    const stored = { base_url: 'https://a.example', auth: { kind: 'header', name: 'X-Key', value: '**********' }, openapi: 'https://a.example/openapi.json' }
    const draft = initialDraft(http, stored)
    const editor = draft.values.auth as AuthDraft
    expect(editor).toMatchObject({ kind: 'header', storedKind: 'header', values: { name: 'X-Key', value: '' }, stored: { value: true, password: false, token: false } })
    const { config } = buildConfig(http, draft, true)
    expect(config.auth).toEqual({ kind: 'header', name: 'X-Key', value: '**********' })
    expect(config.openapi).toBe('https://a.example/openapi.json') // a URL is no JSON: sent as it is
    editor.values.value = 'rotated'
    expect(buildConfig(http, draft, true).config.auth).toEqual({ kind: 'header', name: 'X-Key', value: 'rotated' })
  })

  it('keeps no stored secret once the kind changes, for the platform to ask for it', () => {
    const draft = initialDraft(http, { base_url: 'https://a.example', auth: { kind: 'header', name: 'X-Key', value: '**********' } })
    const editor = draft.values.auth as AuthDraft
    editor.kind = 'bearer'
    expect(buildConfig(http, draft, true).config.auth).toEqual({ kind: 'bearer' })
    // query uses the same key as header, but a secret stored for one kind is not sent on as the other's
    editor.kind = 'query'
    expect(keepsStored(editor, 'value')).toBe(false)
    expect(buildConfig(http, draft, true).config.auth).toEqual({ kind: 'query', name: 'X-Key' })
    editor.kind = 'header'
    expect(buildConfig(http, draft, true).config.auth).toEqual({ kind: 'header', name: 'X-Key', value: '**********' })
  })

  it('edits headers as rows: secret values masked on edit and kept, blank rows dropped', () => {
    const stored = [
      { name: 'X-Tenant', value: 'acme', secret: false },
      { name: 'X-Api-Key', value: '**********', secret: true },
    ]
    const draft = initialDraft(http, { base_url: 'https://a.example', headers: stored })
    const editor = draft.values.headers as HeadersDraft
    expect(editor.rows).toEqual([
      { name: 'X-Tenant', value: 'acme', secret: false, stored: false },
      { name: 'X-Api-Key', value: '', secret: true, stored: true },
    ])
    editor.rows.push({ name: ' X-Sig ', value: 's3cret', secret: true, stored: false }, { name: '', value: '', secret: false, stored: false })
    expect(buildConfig(http, draft, true).config.headers).toEqual([
      ...stored,
      { name: 'X-Sig', value: 's3cret', secret: true },
    ])
  })

  it('names the headers field when a row has a value but no name', () => {
    const draft = initialDraft(http, null)
    ;(draft.values.headers as HeadersDraft).rows.push({ name: ' ', value: 'orphan', secret: false, stored: false })
    expect(buildConfig(http, draft, false).errors).toEqual({ 'config.headers': 'Give every header a name' })
  })

  it('names a structured field whose JSON is wrong, and clears an emptied one on edit', () => {
    const draft = initialDraft(http, { base_url: 'https://a.example', openapi: { openapi: '3.0.0' } })
    ;(draft.values.forward_headers as ObjectDraft).json = '{"name": "X"}'
    ;(draft.values.openapi as ObjectDraft).json = ''
    const { config, errors } = buildConfig(http, draft, true)
    expect(errors).toEqual({ 'config.forward_headers': 'must be a JSON list' })
    expect(config.openapi).toBeNull()
  })

  it('shows the platform’s messages inside auth and headers on those fields', () => {
    expect(configFieldOf('config.auth.token')).toBe('config.auth')
    expect(configFieldOf('config.headers[1].value')).toBe('config.headers')
    expect(configFieldOf('config.headers.1.value')).toBe('config.headers')
    expect(configFieldOf('config.base_url')).toBe('config.base_url')
    expect(configFieldOf('name')).toBe('name')
  })
})
