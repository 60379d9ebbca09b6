import { describe, expect, it, vi } from 'vitest'
import { ConfigError, loadConfig, parseConfig } from './config'

const answer = (body: string, status = 200) =>
  vi.fn(async () => new Response(body, { status, headers: { 'Content-Type': 'application/json' } }))

describe('loadConfig', () => {
  it('reads config.json next to the page, bypassing the cache', async () => {
    const fetchFn = answer('{"apiBaseUrl": "https://api.example.com/", "apiKey": "console-key"}')
    const config = await loadConfig('config.json', fetchFn)
    expect(config).toEqual({ apiBaseUrl: 'https://api.example.com', apiKey: 'console-key' })
    expect(fetchFn).toHaveBeenCalledWith('config.json', { cache: 'no-store' })
  })

  it('treats a missing or empty key as none', async () => {
    expect((await loadConfig('c', answer('{"apiBaseUrl": "http://127.0.0.1:8000"}'))).apiKey).toBeNull()
    expect((await loadConfig('c', answer('{"apiBaseUrl": "http://h", "apiKey": " "}'))).apiKey).toBeNull()
  })

  it('keeps a path prefix of the base URL', () => {
    expect(parseConfig({ apiBaseUrl: 'https://example.com/bastion//' }).apiBaseUrl).toBe('https://example.com/bastion')
  })

  it('says why a missing file fails', async () => {
    await expect(loadConfig('c', answer('not found', 404))).rejects.toThrow('Cannot load config.json: HTTP 404')
  })

  it('says the file is missing when a host with an index.html fallback answers the page instead', async () => {
    const fetchFn = vi.fn(async () => new Response('<!doctype html><html></html>', { headers: { 'Content-Type': 'text/html; charset=utf-8' } }))
    await expect(loadConfig('c', fetchFn)).rejects.toThrow('config.json is missing: put it next to index.html')
  })

  it('says why an unreachable file fails', async () => {
    const fetchFn = vi.fn(async () => {
      throw new TypeError('Failed to fetch')
    })
    await expect(loadConfig('c', fetchFn)).rejects.toThrow('Failed to fetch')
  })

  it('rejects bad JSON and bad fields with a ConfigError naming the field', async () => {
    await expect(loadConfig('c', answer('{oops'))).rejects.toThrow('not valid JSON')
    expect(() => parseConfig([])).toThrow(ConfigError)
    expect(() => parseConfig({})).toThrow('"apiBaseUrl" is required')
    expect(() => parseConfig({ apiBaseUrl: 'api.example.com' })).toThrow('not an absolute URL')
    expect(() => parseConfig({ apiBaseUrl: 'ftp://example.com' })).toThrow('http:// or https://')
    expect(() => parseConfig({ apiBaseUrl: 'http://h', apiKey: 42 })).toThrow('"apiKey" must be a string')
  })
})
