/**
 * Matching of hash paths against route patterns such as `/services/:id/edit`. Pure functions, so the
 * route table can be tested without a browser.
 */

export type Params = Record<string, string>

export interface Location {
  path: string
  query: URLSearchParams
}

/** Split a location hash (`#/a/b?x=1`) into a normalised path and its query. */
export function parseHash(hash: string): Location {
  const text = hash.replace(/^#/, '')
  const [rawPath, rawQuery = ''] = text.split('?', 2)
  let path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`
  if (path.length > 1) path = path.replace(/\/+$/, '')
  return { path, query: new URLSearchParams(rawQuery) }
}

/**
 * The params of `path` under `pattern`, or null when it does not match; segments are URI-decoded. `:id` is
 * always a record's number: `/roles/abc/edit` is no page, rather than a request for role NaN.
 */
export function matchPath(pattern: string, path: string): Params | null {
  const want = pattern.split('/').filter(Boolean)
  const got = path.split('/').filter(Boolean)
  if (want.length !== got.length) return null
  const params: Params = {}
  for (let i = 0; i < want.length; i++) {
    if (want[i] === ':id' && !/^\d+$/.test(got[i])) {
      return null
    } else if (want[i].startsWith(':')) {
      try {
        params[want[i].slice(1)] = decodeURIComponent(got[i])
      } catch {
        return null
      }
    } else if (want[i] !== got[i]) {
      return null
    }
  }
  return params
}

/** The first route whose pattern matches, with its params. */
export function findRoute<R extends { path: string }>(routes: readonly R[], path: string) {
  for (const route of routes) {
    const params = matchPath(route.path, path)
    if (params) return { route, params }
  }
  return null
}

/** A hash link to a path built from segments, each URI-encoded: link('services', name, 'tables'). */
export function link(...segments: (string | number)[]): string {
  return '#/' + segments.map((s) => encodeURIComponent(String(s))).join('/')
}
