// The one Apollo client: queries and mutations over HTTP, subscriptions over
// graphql-ws (graphql-transport-ws), signed in with the session's token.
import {
  ApolloClient,
  ApolloError,
  ApolloLink,
  HttpLink,
  InMemoryCache,
  Observable,
  split,
  type FetchResult,
  type NormalizedCacheObject,
  type Operation,
} from '@apollo/client/core'
import { onError } from '@apollo/client/link/error'
import { getMainDefinition } from '@apollo/client/utilities'
import { print, type GraphQLFormattedError } from 'graphql'
import { createClient, type Client } from 'graphql-ws'
import { readonly, ref, type Ref } from 'vue'

import { MeDocument } from './generated/graphql'
import { messagesFieldPolicy, messageTypePolicy } from './lib/messages'
import {
  nextConnectionState,
  resumablePayload,
  retryDelayMs,
  type ConnectionEvent,
  type ConnectionState,
  type ResumeFrom,
} from './lib/resume'
import { ACCOUNT_SUSPENDED, refusalNotice, SESSION_EXPIRED, type Session } from './lib/session'

const GRAPHQL_PATH = '/graphql'
const PING_EVERY_MS = 10_000
const PONG_WITHIN_MS = 5_000
const CLOSE_FORBIDDEN = 4403 // the server refused the token (expired, or the account suspended)

/** Context a subscriber may give: how to resume after a reconnect. */
export interface ResumeContext {
  resumeFrom?: ResumeFrom
  /** The variable `resumeFrom` fills: afterSeq unless said otherwise. */
  resumeVariable?: string
}

export interface Realtime {
  /** What the socket is doing, for the offline indicator. */
  readonly state: Readonly<Ref<ConnectionState>>
  /** Call `listener` whenever the socket is back after a drop. */
  onReconnected(listener: () => void): () => void
  /** Drop the socket (sign-out): its subscriptions end with it. */
  stop(): void
}

function socketUrl(location: Location): string {
  const url = new URL(GRAPHQL_PATH, location.href)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return url.href
}

/** Subscriptions over graphql-ws, resumed after the last seq (or version) their subscriber holds. */
class SocketLink extends ApolloLink {
  constructor(private readonly socket: () => Client) {
    super()
  }

  override request(operation: Operation): Observable<FetchResult> {
    const { resumeFrom, resumeVariable } = operation.getContext() as ResumeContext
    const payload = {
      query: print(operation.query),
      operationName: operation.operationName,
      variables: operation.variables,
      extensions: operation.extensions,
    }
    return new Observable((observer) =>
      this.socket().subscribe(resumeFrom ? resumablePayload(payload, resumeFrom, resumeVariable) : payload, {
        next: (result) => observer.next(result as FetchResult),
        complete: () => observer.complete(),
        error: (error) => {
          if (Array.isArray(error)) {
            observer.error(new ApolloError({ graphQLErrors: error as GraphQLFormattedError[] }))
          } else if (error instanceof Error) {
            observer.error(error)
          } else {
            observer.error(new Error('The connection to Sentichat closed.'))
          }
        },
      }),
    )
  }
}

/** What the socket tells the rest: its state, and a token refused with 4403 (and the close's reason). */
interface SocketEvents {
  emit(event: ConnectionEvent): void
  refused(reason: string): void
}

function createSocket(session: Session, events: SocketEvents): Client {
  const { emit } = events
  let pongTimer: ReturnType<typeof setTimeout> | undefined
  const client: Client = createClient({
    url: socketUrl(window.location),
    connectionParams: () => {
      const authorization = session.authorization()
      return authorization ? { authorization } : {}
    },
    lazy: true,
    keepAlive: PING_EVERY_MS,
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(retries)))
    },
    // Keep trying through restarts and network loss; a refused token ends
    // the session instead.
    shouldRetry: (event) => (event as CloseEvent | undefined)?.code !== CLOSE_FORBIDDEN,
    on: {
      connecting: (retrying) => emit({ type: 'connecting', retrying }),
      connected: () => emit({ type: 'connected' }),
      closed: (event) => {
        clearTimeout(pongTimer)
        const closed = event as CloseEvent | undefined
        if (closed?.code === CLOSE_FORBIDDEN) events.refused(closed.reason)
        emit({ type: 'closed' })
      },
      // A ping the server does not answer in time means the network is gone,
      // even if the browser has not noticed. Terminate rather than close: a
      // close handshake on a dead link waits about a minute for its answer.
      ping: (received) => {
        if (received) return
        clearTimeout(pongTimer)
        pongTimer = setTimeout(() => client.terminate(), PONG_WITHIN_MS)
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer)
      },
    },
  })
  return client
}

function createRealtime(session: Session, refused: (reason: string) => void): Realtime & { link: ApolloLink } {
  const state = ref<ConnectionState>('idle')
  const reconnected = new Set<() => void>()
  let wasCutOff = false

  const emit = (event: ConnectionEvent) => {
    const before = state.value
    state.value = nextConnectionState(before, event)
    if (state.value === 'offline') wasCutOff = true
    if (event.type === 'connected' && wasCutOff) {
      wasCutOff = false
      reconnected.forEach((listener) => listener())
    }
  }
  let socket = createSocket(session, { emit, refused })

  // The browser knows before any ping does when the network goes away: drop
  // the socket at once, and the retries bring it back with the network.
  window.addEventListener('offline', () => {
    emit({ type: 'network-lost' })
    socket.terminate()
  })

  return {
    state: readonly(state),
    link: new SocketLink(() => socket),
    onReconnected(listener) {
      reconnected.add(listener)
      return () => reconnected.delete(listener)
    },
    stop() {
      // Disposing a socket refused while connecting rejects with its close: it is gone either way.
      void Promise.resolve(socket.dispose()).catch(() => undefined)
      socket = createSocket(session, { emit, refused })
      wasCutOff = false
      emit({ type: 'stopped' })
    },
  }
}

export interface Apollo {
  client: ApolloClient<NormalizedCacheObject>
  realtime: Realtime
}

export function createApollo(session: Session): Apollo {
  // A socket refused with 4403 ends the session, saying why: its reason may
  // say the account is suspended; when it does not, a request over HTTP asks,
  // and its refusal says why (`expire` below). Answered or not, the session
  // ends: the socket will not take the token.
  const refused = (reason: string) => {
    if (refusalNotice(reason) === ACCOUNT_SUSPENDED) return session.signOut(ACCOUNT_SUSPENDED)
    void client
      .query({ query: MeDocument, fetchPolicy: 'network-only' })
      .catch(() => undefined)
      .finally(() => session.signOut(SESSION_EXPIRED))
  }
  const realtime = createRealtime(session, refused)

  const authorize = new ApolloLink((operation, forward) => {
    const authorization = session.authorization()
    if (authorization) {
      operation.setContext(({ headers = {} }: { headers?: Record<string, string> }) => ({
        headers: { ...headers, authorization },
      }))
    }
    return forward(operation)
  })

  // A token the server no longer accepts ends the session, saying why
  // (expired, or the account suspended); sign-in operations themselves
  // answer UNAUTHENTICATED for a wrong password.
  const expire = onError(({ graphQLErrors, operation }) => {
    if (operation.operationName === 'Login' || operation.operationName === 'Register') return
    const refusal = graphQLErrors?.find((error) => error.extensions?.code === 'UNAUTHENTICATED')
    if (refusal) session.signOut(refusalNotice(refusal.message))
  })

  const http = new HttpLink({ uri: GRAPHQL_PATH })
  const isSubscription = ({ query }: Operation) => {
    const definition = getMainDefinition(query)
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription'
  }

  const client = new ApolloClient({
    link: ApolloLink.from([expire, split(isSubscription, realtime.link, ApolloLink.from([authorize, http]))]),
    cache: new InMemoryCache({
      typePolicies: { Query: { fields: { messages: messagesFieldPolicy } }, Message: messageTypePolicy },
    }),
    devtools: { enabled: import.meta.env.DEV },
  })

  session.onChange(() => {
    if (session.state.token === null) {
      realtime.stop()
      void client.clearStore()
    }
  })

  return { client, realtime }
}
