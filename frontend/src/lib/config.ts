/**
 * Runtime configuration, read from `config.json` next to `index.html` at start-up, so that one build runs
 * against any platform host (DESIGN §1). Nothing here is compiled in: no URL, no key.
 */

export interface RuntimeConfig {
  /** The platform's origin (and optional path prefix), without a trailing slash. */
  apiBaseUrl: string
  /** The console app's API key, sent as X-Api-Key when set. */
  apiKey: string | null
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Fetch = typeof fetch

/** Check the parsed JSON of config.json and normalise it; throws ConfigError naming the bad field. */
export function parseConfig(data: unknown): RuntimeConfig {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError('config.json must hold a JSON object')
  }
  const raw = data as Record<string, unknown>
  if (typeof raw.apiBaseUrl !== 'string' || !raw.apiBaseUrl.trim()) {
    throw new ConfigError('config.json: "apiBaseUrl" is required, e.g. "https://api.example.com"')
  }
  let url: URL
  try {
    url = new URL(raw.apiBaseUrl.trim())
  } catch {
    throw new ConfigError(`config.json: "apiBaseUrl" is not an absolute URL: ${raw.apiBaseUrl}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('config.json: "apiBaseUrl" must start with http:// or https://')
  }
  if (raw.apiKey !== undefined && raw.apiKey !== null && typeof raw.apiKey !== 'string') {
    throw new ConfigError('config.json: "apiKey" must be a string')
  }
  const apiKey = typeof raw.apiKey === 'string' && raw.apiKey.trim() ? raw.apiKey.trim() : null
  return { apiBaseUrl: (url.origin + url.pathname).replace(/\/+$/, ''), apiKey }
}

/** Fetch and check config.json; `url` is resolved against the page, so dist/ may live under any path. */
export async function loadConfig(url = 'config.json', fetchFn: Fetch = fetch): Promise<RuntimeConfig> {
  let response: Response
  try {
    // no-store: a redeployed config.json must take effect on the next load, not after a cache expiry.
    response = await fetchFn(url, { cache: 'no-store' })
  } catch (err) {
    throw new ConfigError(`Cannot load config.json: ${(err as Error).message}`)
  }
  if (!response.ok) {
    throw new ConfigError(`Cannot load config.json: HTTP ${response.status}`)
  }
  // A host with an index.html fallback (nginx's try_files, vite preview) answers a missing file with the page.
  if (response.headers.get('Content-Type')?.includes('text/html')) {
    throw new ConfigError('config.json is missing: put it next to index.html (the host answered with an HTML page)')
  }
  let data: unknown
  try {
    data = await response.json()
  } catch {
    throw new ConfigError('config.json is not valid JSON')
  }
  return parseConfig(data)
}
