/**
 * The API docs viewer: Swagger UI, imported here only, by the docs page, so that its ~450 kB stay out of
 * every other page's load. It is given the document (never a URL to fetch), has its validator badge off
 * (validatorUrl null: no call to an outside validator) and loads no fonts, so it talks to no host but the
 * platform. "Try it" requests are its own, from this origin, with the SPA's session token and the
 * console app's key set as its authorizations: a user tries exactly what their role allows.
 */
import { credentials } from './api/client'

/** The security schemes of Bastion's documents (backend docs/common.py) that the SPA's session fills. */
const SESSION_SCHEME = 'SessionToken'
const KEY_SCHEME = 'ApiKey'

/** Render an OpenAPI document into `node`; resolves once the viewer has drawn it. */
export async function showDocument(node: HTMLElement, document: object): Promise<void> {
  const [{ default: SwaggerUI }] = await Promise.all([
    import('swagger-ui-dist/swagger-ui-es-bundle.js'),
    import('swagger-ui-dist/swagger-ui.css'),
  ])
  const { token, apiKey } = credentials()
  await new Promise<void>((resolve) => {
    const ui = SwaggerUI({
      domNode: node,
      spec: document,
      validatorUrl: null,
      deepLinking: false,
      displayRequestDuration: true,
      onComplete: () => {
        if (token) ui.preauthorizeApiKey(SESSION_SCHEME, token)
        if (apiKey) ui.preauthorizeApiKey(KEY_SCHEME, apiKey)
        resolve()
      },
    })
  })
}
