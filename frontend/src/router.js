import { createRouter, createWebHistory } from 'vue-router'
import { refreshIfDue, session } from './api.js'
import { auth } from './auth.js'

// Every page, and the signed-in shell, is its own chunk: the first load carries only Vue,
// the router, i18n and the message services.
const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./components/AppLayout.vue'),
    children: [
      { path: '', redirect: '/tasks' },
      { path: 'tasks', name: 'tasks', component: () => import('./views/TaskListView.vue'), meta: { title: 'nav.tasks' } },
      { path: 'tasks/new', name: 'task-new', component: () => import('./views/TaskFormView.vue'), meta: { title: 'nav.newTask', write: true } },
      { path: 'tasks/:id', name: 'task-detail', component: () => import('./views/TaskDetailView.vue'), meta: { title: 'detail.title' } },
      { path: 'tasks/:id/edit', name: 'task-edit', component: () => import('./views/TaskFormView.vue'), meta: { title: 'form.editTitle', write: true } },
      { path: 'admin/groups', name: 'groups', component: () => import('./views/GroupsView.vue'), meta: { title: 'nav.groups', admin: true } },
      { path: 'admin/recipients', name: 'recipients', component: () => import('./views/RecipientsView.vue'), meta: { title: 'nav.recipients', admin: true } },
      { path: 'admin/users', name: 'users', component: () => import('./views/UsersView.vue'), meta: { title: 'nav.users', admin: true } },
      { path: 'templates', name: 'templates', component: () => import('./views/TemplatesView.vue'), meta: { title: 'nav2.templates' } },
      { path: 'reports/feedback', name: 'feedback', component: () => import('./views/FeedbackReportView.vue'), meta: { title: 'nav2.feedback' } },
      { path: 'reports/engagement', redirect: (to) => ({ name: 'feedback', query: to.query }) },
      { path: 'settings/notifications', name: 'notify-settings', component: () => import('./views/NotificationSettingsView.vue'), meta: { title: 'nav2.notifySettings' } },
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue') },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: (to, from, saved) => saved || { top: 0 },
})

router.beforeEach((to) => {
  if (to.meta.public) return true
  if (!session.isActive()) {
    const hadSession = !!session.token
    auth.forget()
    const query = { redirect: to.fullPath }
    if (hadSession) query.expired = '1'
    return { path: '/login', query }
  }
  refreshIfDue() // moving around the admin is activity: keep the session alive
  if (to.meta.admin && !auth.isAdmin) return { path: '/tasks' }
  if (to.meta.write && !auth.canWrite) return { path: '/tasks' }
  return true
})

/** A same-site path to return to after sign-in, or /tasks. */
export function safeRedirect(value) {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/login')
    ? value
    : '/tasks'
}
