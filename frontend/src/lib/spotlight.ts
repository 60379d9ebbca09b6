/**
 * The item an edit page has just saved, handed to its list: the list shows the page that holds it and
 * marks its row (ListPage), so that a new item is never left unseen on a later page of a long list. Held
 * here, not in the route, because it is for the one visit that follows the save: a reload or a later
 * visit of the list shows it as the admin left it.
 */

let pending: { list: string; key: string | number } | null = null

/** Mark the item with this row key, saved for the list at path `list` (`/roles`). */
export function spotlight(list: string, key: string | number): void {
  pending = { list, key }
}

/** The row key of the item saved for this list, once: whichever list takes it next, it is gone. */
export function takeSpotlight(list: string): string | number | null {
  const key = pending?.list === list ? pending.key : null
  pending = null
  return key
}
