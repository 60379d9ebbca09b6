/**
 * The route table: every screen, its hash path and where it appears in the navigation. Pages other than
 * the login page are loaded on first visit, so the first load stays small.
 *
 * Later areas (roles, apps, users, CORS) add a route here and an entry to `nav`.
 */
import type { Component } from 'svelte'
import PageLogin from './pages/login/PageLogin.svelte'

// Pages receive their path params; each declares only the ones it uses.
type Page = Component<any>
type Loader = () => Promise<{ default: Page }>

export interface RouteDef {
  path: string
  title: string
  /** Reachable without a session. */
  public?: boolean
  component?: Page
  load?: Loader
}

export const routes: readonly RouteDef[] = [
  { path: '/login', title: 'Log in', public: true, component: PageLogin },
  { path: '/', title: 'Home', load: () => import('./pages/home/PageHome.svelte') },
  { path: '/admins', title: 'Admins', load: () => import('./pages/admins/PageAdmins.svelte') },
  { path: '/services', title: 'Services', load: () => import('./pages/services/PageServices.svelte') },
  { path: '/services/new', title: 'New service', load: () => import('./pages/services/PageServiceEdit.svelte') },
  { path: '/services/:id/edit', title: 'Edit service', load: () => import('./pages/services/PageServiceEdit.svelte') },
  { path: '/services/:service/tables', title: 'Tables', load: () => import('./pages/tables/PageTables.svelte') },
  { path: '/services/:service/tables/:table', title: 'Table', load: () => import('./pages/tables/PageTable.svelte') },
]

export interface NavItem {
  href: string
  label: string
  /** The path prefix that marks this item as current. */
  area: string
}

export const nav: readonly NavItem[] = [
  { href: '#/', label: 'Home', area: '/' },
  { href: '#/services', label: 'Services', area: '/services' },
  { href: '#/admins', label: 'Admins', area: '/admins' },
]
