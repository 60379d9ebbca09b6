/**
 * The one HTTP client of the SPA. Every call goes to `<apiBaseUrl>/api/v2<path>` with the session token and
 * the console app's key, and every failure — network, CORS refusal, error envelope, bad JSON — becomes an
 * ApiError. A 401 on a request that carried a token means the session is gone: the client tells its owner,
 * who either ends the session (the login page) and the client throws, so callers stop where they are; or gets
 * a new session without leaving the page (the admin logs in again over an open form) and the client sends
 * the request once more with the new token, so the caller never sees the 401. A 401 answers a request
 * before it does anything, so sending it again cannot do twice what it asked.
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
  /**
   * Called on a 401 answer to a request that carried a token; resolves true once a new session is in
   * place and the request may be sent again, false when the session is over.
   */
  onUnauthorized: (error: ApiError) => boolean | Promise<boolean>
  fetch?: typeof fetch
}

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  signal?: AbortSignal
  /** Send no session token: a login starts a session, it never rides on one (an ended one included). */
  anonymous?: boolean
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
  const client = setup
  if (!client) throw new ApiError(0, 'The API client is not configured')
  const sentToken = options.anonymous ? null : client.token()
  try {
    return await send<T>(client, method, path, options, sentToken)
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401 || !sentToken) throw error
    // No loop without a person: a request goes again only under a token it has not met a 401 with, and
    // a new token comes only from a login.
    if (await renewed(client, error, sentToken)) return request<T>(method, path, options)
    throw error
  }
}

/**
 * Whether a request that met a 401 with `sentToken` may go again: a newer session was started meanwhile
 * (another call's 401 already led to a new login), or the owner got one now.
 */
async function renewed(client: ClientSetup, error: ApiError, sentToken: string): Promise<boolean> {
  const isNew = () => {
    const current = client.token()
    return current !== null && current !== sentToken
  }
  return isNew() || ((await client.onUnauthorized(error)) && isNew())
}

async function send<T>(client: ClientSetup, method: string, path: string, options: RequestOptions, token: string | null): Promise<T> {
  const { baseUrl, apiKey } = client
  const doFetch = client.fetch ?? fetch
  const hasBody = options.body !== undefined
  let response: Response
  try {
    response = await doFetch(buildUrl(baseUrl, path, options.query), {
      method,
      headers: buildHeaders(token, apiKey, hasBody),
      body: hasBody ? JSON.stringify(options.body) : undefined,
      signal: options.signal,
    })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    // Browsers report a CORS refusal exactly like an unreachable host: say both.
    throw new ApiError(0, `Cannot reach the platform at ${baseUrl} (is it running, and does its CORS rule allow this origin?)`)
  }
  const body = await readJson(response)
  if (!response.ok) throw errorFromResponse(response, body)
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
