/**
 * The route table: every screen, its hash path and where it appears in the navigation. Pages other than
 * the login page are loaded on first visit, so the first load stays small. Routes marked `users` are the
 * only ones a non-admin session reaches (lib/guard.ts).
 *
 * Every resource is edited the same way, on a routed page (`/<area>/new`, `/<area>/:id/edit`) rather than
 * in a modal: an edit has a URL, a reload keeps it and Back leaves it; the big editors (roles, services)
 * need a page's room, and on a phone a page is what a dialog becomes anyway. Dialogs are kept for
 * questions and one-off actions (confirm, set a password, the one-time key).
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
const adminEdit: Loader = () => import('./pages/admins/PageAdminEdit.svelte')
const appEdit: Loader = () => import('./pages/apps/PageAppEdit.svelte')
const userEdit: Loader = () => import('./pages/users/PageUserEdit.svelte')
const serviceEdit: Loader = () => import('./pages/services/PageServiceEdit.svelte')

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
  { path: '/admins/new', title: 'New admin', load: adminEdit },
  { path: '/admins/:id/edit', title: 'Edit admin', load: adminEdit },
  { path: '/services', title: 'Services', load: () => import('./pages/services/PageServices.svelte') },
  { path: '/services/new', title: 'New service', load: serviceEdit },
  { path: '/services/:id/edit', title: 'Edit service', load: serviceEdit },
  { path: '/services/:service/tables', title: 'Tables', load: () => import('./pages/tables/PageTables.svelte') },
  { path: '/services/:service/tables/:table', title: 'Table', load: () => import('./pages/tables/PageTable.svelte') },
  { path: '/roles', title: 'Roles', load: () => import('./pages/roles/PageRoles.svelte') },
  { path: '/roles/new', title: 'New role', load: roleEdit },
  { path: '/roles/:id/edit', title: 'Edit role', load: roleEdit },
  { path: '/apps', title: 'Apps', load: () => import('./pages/apps/PageApps.svelte') },
  { path: '/apps/new', title: 'New app', load: appEdit },
  { path: '/apps/:id/edit', title: 'Edit app', load: appEdit },
  { path: '/users', title: 'Users', load: () => import('./pages/users/PageUsers.svelte') },
  { path: '/users/new', title: 'New user', load: userEdit },
  { path: '/users/:id/edit', title: 'Edit user', load: userEdit },
  { path: '/cors', title: 'CORS', load: () => import('./pages/cors/PageCors.svelte') },
  { path: '/cors/new', title: 'New CORS rule', load: corsEdit },
  { path: '/cors/:id/edit', title: 'Edit CORS rule', load: corsEdit },
  { path: '/security', title: 'Security', load: () => import('./pages/security/PageSecurity.svelte') },
  { path: '/audit', title: 'Audit log', load: () => import('./pages/audit/PageAudit.svelte') },
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
  { href: '#/security', label: 'Security', area: '/security' },
  { href: '#/audit', label: 'Audit', area: '/audit' },
  { href: '#/registration', label: 'Registration', area: '/registration' },
  { href: '#/docs', label: 'API Docs', area: '/docs', users: true },
  { href: '#/profile', label: 'Account', area: '/profile', users: true },
]
