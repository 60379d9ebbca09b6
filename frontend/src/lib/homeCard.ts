/** A Home card's data: loading, loaded, or why it could not be loaded (never "…" for ever). */
import { reportFailure } from './state/toasts.svelte'

export interface CardState<T> {
  value: T | null
  /** Why the load failed, or null. */
  failed: string | null
}

/** Load a card's value; a failure is kept as its message (and shown once as a toast). */
export async function loadCard<T>(card: CardState<T>, fetch: () => Promise<T>): Promise<void> {
  try {
    card.value = await fetch()
    card.failed = null
  } catch (error) {
    card.failed = reportFailure(error)
  }
}

/** A value of the card as shown: "…" while it loads, "—" once it could not be loaded. */
export function shown<T>(card: CardState<T>, value: unknown): string {
  if (value !== undefined && value !== null) return String(value)
  return card.failed ? '—' : '…'
}
