// @vitest-environment jsdom
import { flushSync, mount, unmount } from 'svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import DataTable from './DataTable.svelte'

let component: ReturnType<typeof mount> | null = null

afterEach(() => {
  if (component) unmount(component)
  component = null
  document.body.replaceChildren()
})

function render(props: Record<string, unknown>) {
  component = mount(DataTable, { target: document.body, props: props as never })
  flushSync()
  return document.body
}

const columns = [
  { key: 'id', label: 'id', sortable: true },
  { key: 'note', label: 'note', sortable: true },
]
const rows = [
  { id: 1, note: null },
  { id: 2, note: '' },
]

describe('DataTable', () => {
  it('shows NULL as a badge and an empty string as nothing', () => {
    const body = render({ label: 'Rows', columns, rows })
    const cells = [...body.querySelectorAll('tbody tr')].map((tr) => tr.querySelectorAll('td')[1])
    expect(cells[0].querySelector('[data-testid="null"]')?.textContent).toBe('NULL')
    expect(cells[1].textContent).toBe('')
    expect(cells[1].querySelector('[data-testid="null"]')).toBeNull()
  })

  it('puts aria-sort on the sorted header and a button filling each sortable one', () => {
    const onsort = vi.fn()
    const body = render({ label: 'Rows', columns, rows, sort: { key: 'note', desc: true }, onsort })
    const headers = [...body.querySelectorAll('th')]
    expect(headers.map((th) => th.getAttribute('aria-sort'))).toEqual([null, 'descending'])
    const button = headers[0].querySelector('button')
    expect(button?.parentElement).toBe(headers[0])
    button?.click()
    expect(onsort).toHaveBeenCalledWith('id')
  })

  it('offers a selection column only with onselect, and selects the whole page at once', () => {
    const onselect = vi.fn()
    const body = render({ label: 'Rows', columns, rows, rowKey: (r: { id: number }) => r.id, selected: new Set(['2']), onselect })
    const boxes = [...body.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')]
    expect(boxes.map((b) => [b.getAttribute('aria-label'), b.checked])).toEqual([
      ['Select all rows on this page', false],
      ['Select row 1', false],
      ['Select row 2', true],
    ])
    boxes[0].click()
    expect(onselect).toHaveBeenCalledWith(['1', '2'], true)
  })
})
