/**
 * The route table: every screen, its hash path and where it appears in the navigation. Pages other than
 * the login page are loaded on first visit, so the first load stays small. Routes marked `users` are the
 * only ones a non-admin session reaches (lib/guard.ts).
 */
import type { Component } from 'svelte'
import type { Guarded } from './lib/guard'
import PageLogin from './pages/login/PageLogin.svelte'

// Pages receive their path params; each declares only the ones it uses.
type Page = Component<any>
type Loader = () => Promise<{ default: Page }>

export interface RouteDef extends Guarded {
  path: string
  title: string
  component?: Page
  load?: Loader
}

const roleEdit: Loader = () => import('./pages/roles/PageRoleEdit.svelte')
const corsEdit: Loader = () => import('./pages/cors/PageCorsEdit.svelte')
const docs: Loader = () => import('./pages/docs/PageDocs.svelte')

export const routes: readonly RouteDef[] = [
  { path: '/login', title: 'Log in', public: true, component: PageLogin },
  { path: '/register', title: 'Register', public: true, load: () => import('./pages/self/PageRegister.svelte') },
  { path: '/confirm', title: 'Confirm', public: true, load: () => import('./pages/self/PageConfirm.svelte') },
  { path: '/forgot-password', title: 'Forgot password', public: true, load: () => import('./pages/self/PageForgotPassword.svelte') },
  { path: '/reset-password', title: 'New password', public: true, load: () => import('./pages/self/PageResetPassword.svelte') },
  { path: '/profile', title: 'Your account', users: true, load: () => import('./pages/self/PageProfile.svelte') },
  { path: '/registration', title: 'Registration', load: () => import('./pages/registration/PageRegistration.svelte') },
  { path: '/', title: 'Home', load: () => import('./pages/home/PageHome.svelte') },
  { path: '/admins', title: 'Admins', load: () => import('./pages/admins/PageAdmins.svelte') },
  { path: '/services', title: 'Services', load: () => import('./pages/services/PageServices.svelte') },
  { path: '/services/new', title: 'New service', load: () => import('./pages/services/PageServiceEdit.svelte') },
  { path: '/services/:id/edit', title: 'Edit service', load: () => import('./pages/services/PageServiceEdit.svelte') },
  { path: '/services/:service/tables', title: 'Tables', load: () => import('./pages/tables/PageTables.svelte') },
  { path: '/services/:service/tables/:table', title: 'Table', load: () => import('./pages/tables/PageTable.svelte') },
  { path: '/roles', title: 'Roles', load: () => import('./pages/roles/PageRoles.svelte') },
  { path: '/roles/new', title: 'New role', load: roleEdit },
  { path: '/roles/:id/edit', title: 'Edit role', load: roleEdit },
  { path: '/apps', title: 'Apps', load: () => import('./pages/apps/PageApps.svelte') },
  { path: '/users', title: 'Users', load: () => import('./pages/users/PageUsers.svelte') },
  { path: '/cors', title: 'CORS', load: () => import('./pages/cors/PageCors.svelte') },
  { path: '/cors/new', title: 'New CORS rule', load: corsEdit },
  { path: '/cors/:id/edit', title: 'Edit CORS rule', load: corsEdit },
  { path: '/docs', title: 'API docs', users: true, load: docs },
  { path: '/docs/:name', title: 'API docs', users: true, load: docs },
]

export interface NavItem extends Guarded {
  href: string
  label: string
  /** The path prefix that marks this item as current. */
  area: string
}

export const nav: readonly NavItem[] = [
  { href: '#/', label: 'Home', area: '/' },
  { href: '#/services', label: 'Services', area: '/services' },
  { href: '#/roles', label: 'Roles', area: '/roles' },
  { href: '#/apps', label: 'Apps', area: '/apps' },
  { href: '#/users', label: 'Users', area: '/users' },
  { href: '#/admins', label: 'Admins', area: '/admins' },
  { href: '#/cors', label: 'CORS', area: '/cors' },
  { href: '#/registration', label: 'Registration', area: '/registration' },
  { href: '#/docs', label: 'API Docs', area: '/docs', users: true },
  { href: '#/profile', label: 'Account', area: '/profile', users: true },
]
