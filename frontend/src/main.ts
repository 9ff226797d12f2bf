import { DefaultApolloClient } from '@vue/apollo-composable'
import { createApp } from 'vue'

import App from './App.vue'
import { createApollo } from './apollo'
import { RealtimeKey, SessionKey } from './keys'
import { createSession } from './lib/session'
import { createAppRouter } from './router'
import './style.css'

const session = createSession(window.localStorage)
const { client, realtime } = createApollo(session)

createApp(App)
  .provide(DefaultApolloClient, client)
  .provide(SessionKey, session)
  .provide(RealtimeKey, realtime)
  .use(createAppRouter(session))
  .mount('#app')
