// @vitest-environment jsdom
import { flushSync, mount, unmount } from 'svelte'
import { afterEach, describe, expect, it } from 'vitest'
import Field from './Field.svelte'

let component: ReturnType<typeof mount> | null = null

afterEach(() => {
  if (component) unmount(component)
  component = null
  document.body.replaceChildren()
})

function render(props: Record<string, unknown>) {
  component = mount(Field, { target: document.body, props: props as never })
  flushSync()
  return document.body
}

describe('Field', () => {
  it('labels its control and ties the server message to it', () => {
    const body = render({ label: 'Database', name: 'config.database', value: 'x.db', error: 'must be an absolute file path' })
    const input = body.querySelector('input')!
    expect(body.querySelector(`label[for="${input.id}"]`)?.textContent).toBe('Database')
    expect(input.getAttribute('aria-invalid')).toBe('true')
    const message = body.querySelector('[data-testid="error-config.database"]')!
    expect(message.textContent).toBe('must be an absolute file path')
    expect(input.getAttribute('aria-describedby')).toContain(message.id)
  })

  it('shows no message and is valid without an error', () => {
    const body = render({ label: 'Host', name: 'config.host', value: '', hint: 'Required for PostgreSQL' })
    expect(body.querySelector('input')!.getAttribute('aria-invalid')).toBe('false')
    expect(body.querySelector('[data-testid^="error-"]')).toBeNull()
    expect(body.querySelector('.hint')?.textContent).toBe('Required for PostgreSQL')
  })
})
