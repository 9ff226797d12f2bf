// A suspended account is signed out at once, and told why: whether the
// server closes its socket with 4403 or refuses a request with
// UNAUTHENTICATED "This account is suspended.".
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'

import { createApollo } from '../src/apollo'
import { MeDocument, NewChatDocument } from '../src/generated/graphql'
import { ACCOUNT_SUSPENDED, createSession, refusalNotice, SESSION_EXPIRED, type Session } from '../src/lib/session'

const SUSPENDED = 'This account is suspended.'

function token(): string {
  const body = btoa(JSON.stringify({ sub: '1', exp: Math.floor(Date.now() / 1000) + 3600 }))
  return `header.${body.replace(/=+$/, '')}.signature`
}

function signedIn(): Session {
  const session = createSession(localStorage)
  session.signIn(token(), { id: '1', username: 'alice' })
  return session
}

/** Resolves with the notice once the session ends. */
function ended(session: Session): Promise<string | null> {
  return new Promise((resolve) => {
    const stop = session.onChange(() => {
      if (session.state.token !== null) return
      stop()
      resolve(session.state.notice)
    })
  })
}

/** What the HTTP endpoint answers: `errors` for every request, or `me` as it is. */
function answerOverHttp(errors: { message: string; extensions: { code: string } }[] | null) {
  const asked: string[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (_url: string, init: { body: string }) => {
      asked.push(JSON.parse(init.body).operationName)
      const me = { __typename: 'User', id: '1', username: 'alice', shareSentiment: true, moderator: false }
      const body = errors ? { errors, data: null } : { data: { me } }
      return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })
    }),
  )
  return asked
}

describe('refusalNotice', () => {
  it('tells a suspended account from an expired token', () => {
    expect(refusalNotice(SUSPENDED)).toBe(ACCOUNT_SUSPENDED)
    expect(refusalNotice('Suspended')).toBe(ACCOUNT_SUSPENDED)
    expect(refusalNotice('Not signed in.')).toBe(SESSION_EXPIRED)
    expect(refusalNotice('')).toBe(SESSION_EXPIRED)
    expect(refusalNotice(undefined)).toBe(SESSION_EXPIRED)
  })
})

describe('a request refused with UNAUTHENTICATED', () => {
  beforeEach(() => localStorage.clear())
  afterEach(() => vi.unstubAllGlobals())

  it('signs out, saying the account is suspended when the server says so', async () => {
    const session = signedIn()
    const { client } = createApollo(session)
    answerOverHttp([{ message: SUSPENDED, extensions: { code: 'UNAUTHENTICATED' } }])

    await expect(client.query({ query: MeDocument })).rejects.toThrow(SUSPENDED)
    expect(session.state).toMatchObject({ token: null, notice: ACCOUNT_SUSPENDED })
  })

  it('signs out with the expiry notice for any other refused token', async () => {
    const session = signedIn()
    const { client } = createApollo(session)
    answerOverHttp([{ message: 'Not signed in.', extensions: { code: 'UNAUTHENTICATED' } }])

    await expect(client.query({ query: MeDocument })).rejects.toThrow()
    expect(session.state).toMatchObject({ token: null, notice: SESSION_EXPIRED })
  })
})

// A graphql-transport-ws server that closes every socket with 4403 and
// `reason` once it has read the token.
async function refusingServer(reason: string) {
  const server = new WebSocketServer({ port: 0, handleProtocols: () => 'graphql-transport-ws' })
  await new Promise((resolve) => server.once('listening', resolve))
  const tokens: unknown[] = []
  server.on('connection', (socket) => {
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw))
      if (message.type !== 'connection_init') return
      tokens.push(message.payload?.authorization)
      socket.close(4403, reason)
    })
  })
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`
  // The client builds its URL from the page's location: every socket goes here instead.
  vi.stubGlobal(
    'WebSocket',
    class extends WebSocket {
      constructor(_url: string, protocols?: string | string[]) {
        super(url, protocols)
      }
    },
  )
  return { tokens, close: () => new Promise((resolve) => server.close(resolve)) }
}

describe('a socket closed with 4403', () => {
  let server: Awaited<ReturnType<typeof refusingServer>> | undefined
  beforeEach(() => localStorage.clear())
  afterEach(async () => {
    vi.unstubAllGlobals()
    await server?.close()
  })

  function subscribe(client: ReturnType<typeof createApollo>['client']) {
    client.subscribe({ query: NewChatDocument }).subscribe({ error: () => undefined })
  }

  it('signs out at once, saying the account is suspended, when its reason says so', async () => {
    server = await refusingServer(SUSPENDED)
    const asked = answerOverHttp(null)
    const session = signedIn()
    const bearer = session.authorization()
    const { client } = createApollo(session)
    const notice = ended(session)

    subscribe(client)

    expect(await notice).toBe(ACCOUNT_SUSPENDED)
    expect(server.tokens).toEqual([bearer])
    expect(asked).toEqual([]) // the reason said it all
  })

  it('asks over HTTP when its reason does not say why, and tells what the refusal says', async () => {
    server = await refusingServer('')
    const asked = answerOverHttp([{ message: SUSPENDED, extensions: { code: 'UNAUTHENTICATED' } }])
    const session = signedIn()
    const { client } = createApollo(session)
    const notice = ended(session)

    subscribe(client)

    expect(await notice).toBe(ACCOUNT_SUSPENDED)
    expect(asked).toEqual(['Me'])
  })

  it('still signs out, as expired, when the HTTP side takes the token', async () => {
    server = await refusingServer('Forbidden')
    answerOverHttp(null)
    const session = signedIn()
    const { client } = createApollo(session)
    const notice = ended(session)

    subscribe(client)

    expect(await notice).toBe(SESSION_EXPIRED)
  })
})
