import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vitest/config'

// For `npm run dev` against a platform without a CORS rule for the dev server: BASTION_DEV_PROXY=http://127.0.0.1:8000
// forwards /api to it, and config.json then points apiBaseUrl at the dev server itself.
const devProxy = process.env.BASTION_DEV_PROXY

export default defineConfig({
  // Relative asset URLs: dist/ can be served from any path of any host.
  base: './',
  plugins: [svelte()],
  // The timing report is noise on a busy machine: the build takes seconds either way.
  // The API docs viewer (Swagger UI, ~1.5 MB) is one lazy chunk loaded by the docs page alone; the budget
  // script checks the first load and reports it.
  build: { target: 'es2022', chunkSizeWarningLimit: 2000, rolldownOptions: { checks: { bundlerTimings: false } } },
  server: devProxy ? { proxy: { '/api': { target: devProxy } } } : {},
  // Unit tests run in Node; component tests opt into jsdom with a file comment.
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : {},
})
