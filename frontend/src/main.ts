/** Start-up: read config.json, point the API client at the platform, then mount the app. */
import { mount } from 'svelte'
import './app.css'
import App from './App.svelte'
import { configureClient } from './lib/api/client'
import { loadConfig } from './lib/config'
import { navigate, router } from './lib/router.svelte'
import { relogin } from './lib/state/relogin.svelte'
import { EXPIRED_NOTICE, session } from './lib/state/session.svelte'

function sessionExpired(): void {
  if (!session.token) return
  if (router.current.path !== '/login') session.returnTo = router.current.path
  session.end(EXPIRED_NOTICE)
  navigate('/login', true)
}

/** A 401: log in again over an open form (then the request goes again), else the login page. */
function unauthorized(): Promise<boolean> {
  const who = session.token && session.user ? { email: session.user.email, kind: session.kind } : null
  return relogin.unauthorized(who, sessionExpired)
}

function showStartupError(target: HTMLElement, message: string): void {
  const box = document.createElement('div')
  box.className = 'startup-error'
  box.setAttribute('role', 'alert')
  const title = document.createElement('h1')
  title.textContent = 'The admin console cannot start'
  const text = document.createElement('p')
  text.textContent = message
  box.append(title, text)
  target.replaceChildren(box)
}

async function start(): Promise<void> {
  const target = document.getElementById('app')!
  try {
    const config = await loadConfig()
    configureClient({
      baseUrl: config.apiBaseUrl,
      apiKey: config.apiKey,
      token: () => session.token,
      onUnauthorized: unauthorized,
    })
  } catch (err) {
    showStartupError(target, (err as Error).message)
    return
  }
  mount(App, { target })
}

void start()
