import { createRouter, createWebHistory, type Router } from 'vue-router'

import AuthView from './components/AuthView.vue'
import ChatPane from './components/ChatPane.vue'
import ChatsView from './components/ChatsView.vue'
import NoChatOpen from './components/NoChatOpen.vue'
import ReportsView from './components/ReportsView.vue'
import type { Session } from './lib/session'

// Every view is in the one bundle: a route that needs a chunk fetched could
// not open while the server is restarting.
export function createAppRouter(session: Session): Router {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/login', name: 'login', component: AuthView, props: { mode: 'login' } },
      { path: '/signup', name: 'signup', component: AuthView, props: { mode: 'signup' } },
      {
        path: '/',
        component: ChatsView,
        meta: { signedIn: true },
        children: [
          { path: '', name: 'home', component: NoChatOpen },
          { path: 'chat/:userId(\\d+)', name: 'chat', component: ChatPane, props: true },
          // Moderators' (the server refuses anyone else, and the view says so).
          { path: 'reports', name: 'reports', component: ReportsView },
        ],
      },
      { path: '/:rest(.*)*', redirect: '/' },
    ],
  })

  router.beforeEach((to) => {
    const signedIn = session.state.token !== null
    if (to.matched.some((record) => record.meta.signedIn) && !signedIn) {
      return { name: 'login', query: to.fullPath === '/' ? {} : { next: to.fullPath } }
    }
    if ((to.name === 'login' || to.name === 'signup') && signedIn) return { name: 'home' }
    return true
  })

  // Signed out elsewhere (expired token, another tab's log out): leave.
  session.onChange(() => {
    if (session.state.token === null) void router.push({ name: 'login' })
  })
  return router
}
