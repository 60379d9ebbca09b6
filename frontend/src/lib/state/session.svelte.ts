/**
 * The session of an admin or of a user (a non-admin, who sees only the API docs). The token lives in
 * sessionStorage: it survives a reload of the tab but not the tab itself, and other tabs and origins
 * never see it. Which screens a session sees is only a convenience: the platform decides every call.
 */
import type { SessionInfo, SessionKind } from '../api/session'
import { clearToasts } from './toasts.svelte'

const KEY = 'bastion.session'

export interface SessionUser {
  id: number
  email: string
  name: string
  /** True for a sys admin; anything stored without it counts as a user. */
  admin: boolean
  /** A user's role for the console app, when one applies. */
  role: string | null
}

interface Stored {
  token: string
  user: SessionUser
}

function readStored(): Stored | null {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Stored | null
    return parsed && typeof parsed.token === 'string' ? parsed : null
  } catch {
    return null
  }
}

class Session {
  #stored = readStored()
  token = $state<string | null>(this.#stored?.token ?? null)
  user = $state<SessionUser | null>(this.#stored?.user ?? null)
  /** A message for the login page, such as why the admin was sent there. */
  notice = $state<string | null>(null)
  /** Where to go back to after logging in. */
  returnTo = $state<string | null>(null)

  /** Keep a freshly issued session. */
  start(info: SessionInfo & { session_token: string }): void {
    const user = { id: info.id, email: info.email, name: info.name, admin: info.is_sys_admin === true, role: info.role ?? null }
    sessionStorage.setItem(KEY, JSON.stringify({ token: info.session_token, user }))
    this.token = info.session_token
    this.user = user
    this.notice = null
  }

  /** Which login endpoint the session came from. */
  get kind(): SessionKind {
    return this.user?.admin ? 'admin' : 'user'
  }

  /** Forget the session and its messages; `notice` is shown on the login page. */
  end(notice: string | null = null): void {
    clearToasts()
    sessionStorage.removeItem(KEY)
    this.token = null
    this.user = null
    this.notice = notice
  }
}

export const session = new Session()

export const EXPIRED_NOTICE = 'Your session expired, please log in again'
