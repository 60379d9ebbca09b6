/**
 * Hash routing: the app's location lives after `#`, so dist/ can be served by any static host without
 * rewrite rules, from any sub-path.
 */
import { parseHash, type Location } from './routing'
import { spotlight } from './spotlight'

class Router {
  current = $state<Location>(parseHash(window.location.hash))
  /** The location before the current one, so an edit page can return to its list as it was left. */
  previous: Location | null = null

  constructor() {
    window.addEventListener('hashchange', () => this.#set(parseHash(window.location.hash)))
  }

  #set(location: Location): void {
    this.previous = this.current
    this.current = location
  }

  /** Record a location set without a hashchange (a replaced entry). */
  replace(location: Location): void {
    this.current = location
  }
}

export const router = new Router()

/** Go to a path such as `/services`; `replace` keeps the current entry out of the history. */
export function navigate(path: string, replace = false): void {
  const hash = `#${path}`
  if (replace) {
    history.replaceState(history.state, '', hash)
    router.replace(parseHash(hash))
  } else {
    window.location.hash = hash
  }
}

/**
 * Leave an edit page for its list (`/roles`): back through the history when the list is where the admin
 * came from, so its search and page are kept, else to the list itself. `saved` is the row key of the item
 * just saved, which the list then shows and marks (lib/spotlight).
 */
export function leave(list: string, saved?: string | number): void {
  if (saved !== undefined) spotlight(list, saved)
  if (router.previous?.path === list) history.back()
  else navigate(list)
}
