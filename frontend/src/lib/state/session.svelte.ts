/**
 * The admin's session. The token lives in sessionStorage: it survives a reload of the tab but not the
 * tab itself, and other tabs and origins never see it.
 */
import type { SessionInfo } from '../api/session'

const KEY = 'bastion.session'

export interface SessionUser {
  id: number
  email: string
  name: string
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
    const user = { id: info.id, email: info.email, name: info.name }
    sessionStorage.setItem(KEY, JSON.stringify({ token: info.session_token, user }))
    this.token = info.session_token
    this.user = user
    this.notice = null
  }

  /** Forget the session; `notice` is shown on the login page. */
  end(notice: string | null = null): void {
    sessionStorage.removeItem(KEY)
    this.token = null
    this.user = null
    this.notice = notice
  }
}

export const session = new Session()

export const EXPIRED_NOTICE = 'Your session expired, please log in again'
