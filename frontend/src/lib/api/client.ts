/**
 * The one HTTP client of the SPA. Every call goes to `<apiBaseUrl>/api/v2<path>` with the session token and
 * the console app's key, and every failure — network, CORS refusal, error envelope, bad JSON — becomes an
 * ApiError. A 401 on a request that carried a token means the session is gone: the client tells its owner
 * (who clears the session and shows the login page) and still throws, so callers stop where they are.
 */

export type FieldErrors = Record<string, string>

/** A failed API call: HTTP status (0 when the platform could not be reached), message, request id. */
export class ApiError extends Error {
  override name = 'ApiError'
  readonly status: number
  readonly context: unknown
  readonly requestId: string | null

  constructor(status: number, message: string, context: unknown = null, requestId: string | null = null) {
    super(message)
    this.status = status
    this.context = context
    this.requestId = requestId
  }

  /** The per-field messages of a validation error (`context.errors`), or an empty object. */
  get fieldErrors(): FieldErrors {
    const errors = (this.context as { errors?: unknown } | null)?.errors
    if (typeof errors !== 'object' || errors === null || Array.isArray(errors)) return {}
    const out: FieldErrors = {}
    for (const [field, message] of Object.entries(errors)) out[field] = String(message)
    return out
  }
}

export interface ClientSetup {
  baseUrl: string
  apiKey: string | null
  /** The current session token, read on every request. */
  token: () => string | null
  /** Called once per 401 answer to a request that carried a token. */
  onUnauthorized: (error: ApiError) => void
  fetch?: typeof fetch
}

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  signal?: AbortSignal
}

let setup: ClientSetup | null = null

/** Point the client at a platform; called once at start-up (and by tests). */
export function configureClient(value: ClientSetup): void {
  setup = value
}

/**
 * The credentials the client sends: the session token and the console app's key. For the API docs
 * viewer, whose "try it" requests are its own and must carry the same session.
 */
export function credentials(): { baseUrl: string; token: string | null; apiKey: string | null } {
  return { baseUrl: setup?.baseUrl ?? '', token: setup?.token() ?? null, apiKey: setup?.apiKey ?? null }
}

function buildUrl(base: string, path: string, query?: Query): string {
  const url = `${base}/api/v2${path.startsWith('/') ? path : `/${path}`}`
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value))
  }
  const text = params.toString()
  return text ? `${url}?${text}` : url
}

function buildHeaders(token: string | null, apiKey: string | null, hasBody: boolean): Headers {
  const headers = new Headers({ Accept: 'application/json' })
  if (hasBody) headers.set('Content-Type', 'application/json')
  if (token) headers.set('Authorization', `Bearer ${token}`)
  if (apiKey) headers.set('X-Api-Key', apiKey)
  return headers
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text()
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Turn a non-2xx response (and its parsed body, if any) into an ApiError. */
export function errorFromResponse(response: Response, body: unknown): ApiError {
  const envelope = (body as { error?: Record<string, unknown> } | null)?.error
  const headerId = response.headers.get('X-Request-Id')
  if (envelope && typeof envelope === 'object') {
    const message = typeof envelope.message === 'string' ? envelope.message : `HTTP ${response.status}`
    const requestId = typeof envelope.request_id === 'string' ? envelope.request_id : headerId
    return new ApiError(response.status, message, envelope.context ?? null, requestId)
  }
  const reason = response.statusText ? ` ${response.statusText}` : ''
  return new ApiError(response.status, `The platform answered HTTP ${response.status}${reason}`, null, headerId)
}

/** Send one request and return its parsed JSON body; throws ApiError on any failure. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  if (!setup) throw new ApiError(0, 'The API client is not configured')
  const { baseUrl, apiKey, token, onUnauthorized } = setup
  const doFetch = setup.fetch ?? fetch
  const sentToken = token()
  const hasBody = options.body !== undefined
  let response: Response
  try {
    response = await doFetch(buildUrl(baseUrl, path, options.query), {
      method,
      headers: buildHeaders(sentToken, apiKey, hasBody),
      body: hasBody ? JSON.stringify(options.body) : undefined,
      signal: options.signal,
    })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    // Browsers report a CORS refusal exactly like an unreachable host: say both.
    throw new ApiError(0, `Cannot reach the platform at ${baseUrl} (is it running, and does its CORS rule allow this origin?)`)
  }
  const body = await readJson(response)
  if (!response.ok) {
    const error = errorFromResponse(response, body)
    if (response.status === 401 && sentToken) onUnauthorized(error)
    throw error
  }
  if (body === undefined) {
    throw new ApiError(response.status, 'The platform answered with a body that is not JSON', null, response.headers.get('X-Request-Id'))
  }
  return body as T
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) =>
  request<T>('GET', path, { query, signal })
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, { body })
export const put = <T>(path: string, body?: unknown) => request<T>('PUT', path, { body })
export const patch = <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body })
export const del = <T>(path: string, body?: unknown) => request<T>('DELETE', path, { body })
