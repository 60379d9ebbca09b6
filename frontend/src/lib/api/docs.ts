/** API docs: the documents the caller may read, and one OpenAPI document (DESIGN §9). */
import { get } from './client'

export interface DocRef {
  name: string
  path: string
}

export const listDocs = () => get<{ resource: DocRef[] }>('/api_docs').then((r) => r.resource)
export const getDoc = (name: string) => get<Record<string, unknown>>(`/api_docs/${encodeURIComponent(name)}`)
