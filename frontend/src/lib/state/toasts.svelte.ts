/**
 * Transient messages: successes and infos fade; errors (with the request id to quote) and warnings about
 * something that was saved but will fail stay until dismissed.
 */
import { ApiError } from '../api/client'

export interface Toast {
  id: number
  kind: 'success' | 'error' | 'info' | 'warning'
  message: string
  requestId: string | null
}

const SUCCESS_MS = 5000
let nextId = 1

export const toasts = $state<Toast[]>([])

/** Forget every message: the next person at this screen must not read the last one's. */
export function clearToasts(): void {
  toasts.splice(0)
}

export function dismiss(id: number): void {
  const index = toasts.findIndex((t) => t.id === id)
  if (index >= 0) toasts.splice(index, 1)
}

function push(kind: Toast['kind'], message: string, requestId: string | null = null): void {
  // A page makes several calls at once: when the platform is down they all fail alike, and one message
  // (with the latest request id) says it, rather than a column of copies.
  const same = toasts.findIndex((t) => t.kind === kind && t.message === message)
  if (same >= 0) toasts.splice(same, 1)
  const id = nextId++
  toasts.push({ id, kind, message, requestId })
  if (kind === 'success' || kind === 'info') setTimeout(() => dismiss(id), SUCCESS_MS)
}

export const notifySuccess = (message: string) => push('success', message)
export const notifyInfo = (message: string) => push('info', message)
/** Something the platform accepted but says will fail: it stays until the admin closes it. */
export const notifyWarning = (message: string) => push('warning', message)

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Show an error; a 401 is skipped because the session handler already sent the admin to the login page. */
export function notifyError(error: unknown): void {
  if (error instanceof ApiError) {
    if (error.status !== 401) push('error', error.message, error.requestId)
  } else if ((error as Error)?.name !== 'AbortError') {
    push('error', messageOf(error))
  }
}

/** Show an error (notifyError) and answer its message, which a page keeps to say what it could not load. */
export function reportFailure(error: unknown): string {
  notifyError(error)
  return messageOf(error)
}
