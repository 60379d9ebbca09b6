import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, configureClient, del, get, post, request } from './client'

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>

let token: string | null = 'tok-1'
const onUnauthorized = vi.fn()

function use(handler: Handler) {
  const fetchFn = vi.fn(async (url: string | URL | Request, init?: RequestInit) => handler(String(url), init ?? {}))
  configureClient({ baseUrl: 'https://api.example.com', apiKey: 'console-key', token: () => token, onUnauthorized, fetch: fetchFn as typeof fetch })
  return fetchFn
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })

const envelope = (code: number, message: string, context: unknown = null, request_id = 'req-1') =>
  json({ error: { code, status_code: code, message, context, request_id } }, code)

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError)
    return error as ApiError
  }
  throw new Error('expected the call to fail')
}

beforeEach(() => {
  token = 'tok-1'
  onUnauthorized.mockReset()
})

describe('request', () => {
  it('sends the token, the app key and JSON to /api/v2 under the configured base', async () => {
    const fetchFn = use(() => json({ id: 1 }, 201))
    expect(await post('/system/admin', { email: 'a@example.com' })).toEqual({ id: 1 })
    const [url, init] = fetchFn.mock.calls[0]
    const headers = new Headers(init?.headers)
    expect(url).toBe('https://api.example.com/api/v2/system/admin')
    expect(init?.method).toBe('POST')
    expect(headers.get('Authorization')).toBe('Bearer tok-1')
    expect(headers.get('X-Api-Key')).toBe('console-key')
    expect(headers.get('Content-Type')).toBe('application/json')
    expect(init?.body).toBe('{"email":"a@example.com"}')
  })

  it('builds the query string and leaves out empty values', async () => {
    const fetchFn = use(() => json({ resource: [] }))
    await get('/hr/_table/employees', { limit: 25, offset: 0, filter: '', order: undefined, include_count: true })
    expect(fetchFn.mock.calls[0][0]).toBe('https://api.example.com/api/v2/hr/_table/employees?limit=25&offset=0&include_count=true')
  })

  it('sends no Authorization header without a session and no body type without a body', async () => {
    token = null
    const fetchFn = use(() => json({ success: true }))
    await del('/system/admin/session')
    const headers = new Headers(fetchFn.mock.calls[0][1]?.headers)
    expect(headers.has('Authorization')).toBe(false)
    expect(headers.has('Content-Type')).toBe(false)
  })
})

describe('error mapping', () => {
  it('turns the error envelope into an ApiError with status, message, context and request id', async () => {
    const errors = { 'config.database': 'must be an absolute file path', name: 'already in use' }
    use(() => envelope(400, "Invalid value for 'config.database': must be an absolute file path", { errors }))
    const error = await failure(post('/system/service', {}))
    expect(error.status).toBe(400)
    expect(error.message).toBe("Invalid value for 'config.database': must be an absolute file path")
    expect(error.requestId).toBe('req-1')
    expect(error.fieldErrors).toEqual(errors)
  })

  it('gives no field errors when the context carries none', async () => {
    use(() => envelope(400, 'Invalid filter at position 3: unexpected end', { filter: 'a =', position: 3 }))
    expect((await failure(get('/hr/_table/t'))).fieldErrors).toEqual({})
  })

  it('maps a non-JSON error page, taking the request id from the header', async () => {
    use(() => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'X-Request-Id': 'hdr-9' } }))
    const error = await failure(get('/system/environment'))
    expect(error.status).toBe(502)
    expect(error.message).toBe('The platform answered HTTP 502 Bad Gateway')
    expect(error.requestId).toBe('hdr-9')
  })

  it('maps a network failure or CORS refusal to status 0 naming the platform', async () => {
    use(() => {
      throw new TypeError('Failed to fetch')
    })
    const error = await failure(get('/system/environment'))
    expect(error.status).toBe(0)
    expect(error.message).toContain('Cannot reach the platform at https://api.example.com')
  })

  it('maps a 2xx body that is not JSON', async () => {
    use(() => new Response('<html></html>', { status: 200 }))
    expect((await failure(get('/system/environment'))).message).toContain('not JSON')
  })

  it('reports a 401 on a request that carried a token, and still throws', async () => {
    use(() => envelope(401, 'Session expired or revoked'))
    const error = await failure(get('/system/admin'))
    expect(error.status).toBe(401)
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    expect(onUnauthorized).toHaveBeenCalledWith(error)
  })

  it('sends the request again once the owner has a new session, and the caller never sees the 401', async () => {
    const fetchFn = use((_url, init) =>
      new Headers(init.headers).get('Authorization') === 'Bearer tok-2' ? json({ id: 7 }, 201) : envelope(401, 'Session token is invalid or expired'),
    )
    onUnauthorized.mockImplementation(async () => {
      token = 'tok-2'
      return true
    })
    expect(await post('/system/role', { name: 'ops' })).toEqual({ id: 7 })
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    const sent = fetchFn.mock.calls.map(([, init]) => [new Headers(init?.headers).get('Authorization'), init?.body])
    expect(sent).toEqual([
      ['Bearer tok-1', '{"name":"ops"}'],
      ['Bearer tok-2', '{"name":"ops"}'],
    ])
  })

  it('sends a request again without asking when another call already got a new session', async () => {
    const fetchFn = use((_url, init) => {
      const sent = new Headers(init.headers).get('Authorization')
      // The answer to the old token comes back after the login that replaced it.
      if (sent === 'Bearer tok-1') token = 'tok-2'
      return sent === 'Bearer tok-2' ? json({ ok: true }) : envelope(401, 'Session token is invalid or expired')
    })
    expect(await get('/system/role')).toEqual({ ok: true })
    expect(onUnauthorized).not.toHaveBeenCalled()
    expect(fetchFn).toHaveBeenCalledTimes(2)
  })

  it('throws the 401 when the owner ends the session, and asks again only with a token not yet refused', async () => {
    // A client that sent the request again and again would spin on promises alone: the fourth send fails it.
    const fetchFn = use(() => (fetchFn.mock.calls.length > 3 ? json({ sent: 'again and again' }) : envelope(401, 'Session token is invalid or expired')))
    onUnauthorized.mockResolvedValue(false)
    expect((await failure(get('/system/role'))).status).toBe(401)
    // An owner that says yes without a new token (nobody logged in) gets no second send either.
    onUnauthorized.mockResolvedValue(true)
    expect((await failure(get('/system/role'))).status).toBe(401)
    expect(fetchFn).toHaveBeenCalledTimes(2)
  })

  it('sends no token on an anonymous request (a login), even with a session', async () => {
    const fetchFn = use(() => envelope(401, 'Invalid email or password'))
    const error = await failure(request('POST', '/system/admin/session', { body: { email: 'a@example.com', password: 'x' }, anonymous: true }))
    expect(error.status).toBe(401)
    expect(new Headers(fetchFn.mock.calls[0][1]?.headers).has('Authorization')).toBe(false)
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('does not treat a failed login (no token sent) as an expired session', async () => {
    token = null
    use(() => envelope(401, 'Invalid email or password'))
    const error = await failure(post('/system/admin/session', { email: 'a@example.com', password: 'x' }))
    expect(error.message).toBe('Invalid email or password')
    expect(onUnauthorized).not.toHaveBeenCalled()
  })
})
