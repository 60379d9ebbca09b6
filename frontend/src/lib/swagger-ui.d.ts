// The part of Swagger UI's bundle (swagger-ui-dist) the docs viewer uses.
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  export interface SwaggerUIOptions {
    domNode: HTMLElement
    spec: object
    validatorUrl: string | null
    deepLinking?: boolean
    tryItOutEnabled?: boolean
    displayRequestDuration?: boolean
    withCredentials?: boolean
    onComplete?: () => void
  }
  export interface SwaggerUIInstance {
    preauthorizeApiKey(scheme: string, value: string): void
  }
  const SwaggerUI: (options: SwaggerUIOptions) => SwaggerUIInstance
  export default SwaggerUI
}
