/**
 * Hash routing: the app's location lives after `#`, so dist/ can be served by any static host without
 * rewrite rules, from any sub-path.
 */
import { parseHash, type Location } from './routing'

class Router {
  current = $state<Location>(parseHash(window.location.hash))

  constructor() {
    window.addEventListener('hashchange', () => {
      this.current = parseHash(window.location.hash)
    })
  }
}

export const router = new Router()

/** Go to a path such as `/services`; `replace` keeps the current entry out of the history. */
export function navigate(path: string, replace = false): void {
  const hash = `#${path}`
  if (replace) {
    history.replaceState(history.state, '', hash)
    router.current = parseHash(hash)
  } else {
    window.location.hash = hash
  }
}
