// Measure the first load of the login page — index.html plus the JS and CSS it pulls in before any
// lazy page — gzipped, and fail the build when it exceeds the budget (issue 6: 80 kB). Also report the
// heavy lazy chunks (the API docs viewer), which only their own page loads.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const BUDGET_KB = 80
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const assets = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1])
const seen = new Set()

// Follow static imports of the entry chunk (shared chunks), not dynamic import() of lazy pages.
function visit(path) {
  if (seen.has(path)) return
  seen.add(path)
  if (!path.endsWith('.js')) return
  const code = readFileSync(join(dist, path), 'utf8')
  for (const m of code.matchAll(/(?:^|[;\s])import\s*(?:[\w*${}\s,]+from\s*)?["']\.\/([^"']+)["']/g)) {
    visit(`assets/${m[1]}`)
  }
}
assets.forEach(visit)

let total = gzipSync(html).length
for (const path of seen) total += gzipSync(readFileSync(join(dist, path))).length
const kb = (total / 1024).toFixed(1)
console.log(`login page first load: ${kb} kB gzipped (${seen.size} assets + index.html; budget ${BUDGET_KB} kB)`)
const gz = (path) => gzipSync(readFileSync(join(dist, path))).length
const heavy = readdirSync(join(dist, 'assets'))
  .map((name) => `assets/${name}`)
  .filter((path) => !seen.has(path) && gz(path) > 20 * 1024)
for (const path of heavy) console.log(`lazy chunk ${path}: ${(gz(path) / 1024).toFixed(1)} kB gzipped (not in the first load)`)
if (total > BUDGET_KB * 1024) {
  console.error(`over budget by ${(total / 1024 - BUDGET_KB).toFixed(1)} kB`)
  process.exit(1)
}
