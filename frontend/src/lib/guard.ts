/**
 * Who sees which screen. Admins see everything; a user (a non-admin, DESIGN §9) sees only the pages
 * marked for users — the API docs — and is sent there from any other, typed URLs included, before the
 * page is loaded, so none of its admin calls is ever made. The platform still decides every call: this
 * only keeps the console from showing screens that could not work.
 */
import type { SessionKind } from './api/session'

export interface Guarded {
  /** Reachable without a session. */
  public?: boolean
  /** Reachable by user (non-admin) sessions too. */
  users?: boolean
}

export const LOGIN = '/login'
export const USER_HOME = '/docs'

/** Where a session of this kind starts. */
export function landing(kind: SessionKind): string {
  return kind === 'admin' ? '/' : USER_HOME
}

/** The path to send the visitor to instead of this route, or null when they may see it. */
export function redirectFor(route: Guarded, kind: SessionKind | null): string | null {
  if (route.public) return kind ? landing(kind) : null
  if (!kind) return LOGIN
  if (kind === 'user' && !route.users) return USER_HOME
  return null
}

/** Whether a navigation item is shown to a session of this kind. */
export const visibleTo = (item: Guarded, kind: SessionKind | null) => kind === 'admin' || Boolean(item.users)
