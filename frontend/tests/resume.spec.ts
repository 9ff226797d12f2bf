// @vitest-environment node
import { createClient } from 'graphql-ws'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'

import {
  nextConnectionState,
  ResumePoints,
  resumablePayload,
  retryDelayMs,
  type ConnectionEvent,
  type ConnectionState,
} from '../src/lib/resume'

describe('ResumePoints', () => {
  it('holds the highest seq noted per channel and refuses repeats', () => {
    const points = new ResumePoints()
    points.start('a', 5)

    expect(points.note('a', 6)).toBe(true)
    expect(points.note('a', 6)).toBe(false)
    expect(points.note('a', 4)).toBe(false)
    expect(points.note('b', 1)).toBe(true)
    expect([points.get('a'), points.get('b'), points.get('c')]).toEqual([6, 1, undefined])
  })

  it('never moves a start point back', () => {
    const points = new ResumePoints()
    points.note('a', 9)
    points.start('a', 3)

    expect(points.get('a')).toBe(9)
  })
})

describe('resumablePayload', () => {
  it('reads afterSeq each time the payload is sent', () => {
    let held: number | undefined
    const payload = resumablePayload({ query: 'subscription', variables: { channel: 'c' } }, () => held)

    expect(JSON.parse(JSON.stringify(payload)).variables).toEqual({ channel: 'c' })
    held = 0
    expect(JSON.parse(JSON.stringify(payload)).variables).toEqual({ channel: 'c', afterSeq: 0 })
    held = 42
    expect(JSON.parse(JSON.stringify(payload)).variables).toEqual({ channel: 'c', afterSeq: 42 })
  })
})

describe('resumablePayload for messageChanges', () => {
  it('fills afterVersion instead when told to', () => {
    let held: number | undefined = 7
    const payload = resumablePayload({ query: 'subscription', variables: { channel: 'c' } }, () => held, 'afterVersion')

    expect(JSON.parse(JSON.stringify(payload)).variables).toEqual({ channel: 'c', afterVersion: 7 })
    held = 12
    expect(JSON.parse(JSON.stringify(payload)).variables).toEqual({ channel: 'c', afterVersion: 12 })
  })
})

describe('nextConnectionState', () => {
  const run = (events: ConnectionEvent[], from: ConnectionState = 'idle') =>
    events.reduce<ConnectionState[]>((states, event) => [...states, nextConnectionState(states.at(-1)!, event)], [from]).slice(1)

  it('goes online on the first connection', () => {
    expect(run([{ type: 'connecting', retrying: false }, { type: 'connected' }])).toEqual(['connecting', 'online'])
  })

  it('shows offline from the drop until the retry succeeds', () => {
    expect(
      run(
        [
          { type: 'closed' },
          { type: 'connecting', retrying: true },
          { type: 'closed' },
          { type: 'connecting', retrying: true },
          { type: 'connected' },
        ],
        'online',
      ),
    ).toEqual(['offline', 'offline', 'offline', 'offline', 'online'])
  })

  it('is offline when the browser loses the network, and idle once stopped', () => {
    expect(run([{ type: 'network-lost' }, { type: 'stopped' }, { type: 'closed' }], 'online')).toEqual([
      'offline',
      'idle',
      'idle',
    ])
  })

  it('is offline when the very first attempt fails', () => {
    expect(run([{ type: 'connecting', retrying: false }, { type: 'closed' }])).toEqual(['connecting', 'offline'])
  })
})

describe('retryDelayMs', () => {
  it('grows from half a second to a ten second ceiling, with jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((attempt) => retryDelayMs(attempt, () => 1))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ])
    expect(retryDelayMs(3, () => 0)).toBe(2000)
  })
})

// A graphql-transport-ws server that records each subscribe and can drop the
// socket, as a restarting Sentichat does.
async function fakeServer() {
  const server = new WebSocketServer({ port: 0, handleProtocols: () => 'graphql-transport-ws' })
  await new Promise((resolve) => server.once('listening', resolve))
  const subscribes: { afterSeq?: number }[] = []
  const sockets: WebSocket[] = []
  let onSubscribe: (socket: WebSocket, id: string, afterSeq: number | undefined) => void = () => undefined
  server.on('connection', (socket) => {
    sockets.push(socket)
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw))
      if (message.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }))
      if (message.type === 'subscribe') {
        const afterSeq = message.payload.variables.afterSeq
        subscribes.push({ afterSeq })
        onSubscribe(socket, message.id, afterSeq)
      }
    })
  })
  const next = (socket: WebSocket, id: string, seq: number) =>
    socket.send(JSON.stringify({ id, type: 'next', payload: { data: { newMessage: { seq } } } }))
  return {
    url: () => `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    subscribes,
    next,
    handle(handler: typeof onSubscribe) {
      onSubscribe = handler
    },
    dropAll: () => sockets.splice(0).forEach((socket) => socket.terminate()),
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

describe('a subscription across a dropped socket', () => {
  let server: Awaited<ReturnType<typeof fakeServer>>
  afterEach(async () => {
    server.dropAll()
    await server.close()
  })

  it('resubscribes after the last seq it holds, and misses nothing', async () => {
    server = await fakeServer()
    const client = createClient({
      url: server.url(),
      webSocketImpl: WebSocket,
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait: () => Promise.resolve(),
      shouldRetry: () => true,
    })
    const points = new ResumePoints()
    points.start('c', 0)
    const received: number[] = []
    let resolveDone: () => void
    const done = new Promise<void>((resolve) => (resolveDone = resolve))

    server.handle((socket, id, afterSeq) => {
      if (afterSeq === 0) {
        // First connection: three messages, then the server restarts.
        for (const seq of [1, 2, 3]) server.next(socket, id, seq)
        socket.close(1012, 'Service Restart')
      } else {
        for (const seq of [4, 5]) server.next(socket, id, seq)
      }
    })
    const payload = resumablePayload({ query: 'subscription { newMessage }', variables: { channel: 'c' } }, () =>
      points.get('c'),
    )
    const dispose = client.subscribe<{ newMessage: { seq: number } }>(payload, {
      next: ({ data }) => {
        const seq = data!.newMessage.seq
        if (points.note('c', seq)) received.push(seq)
        if (seq === 5) resolveDone()
      },
      error: () => undefined,
      complete: () => undefined,
    })

    await done
    dispose()
    await client.dispose()

    expect(server.subscribes).toEqual([{ afterSeq: 0 }, { afterSeq: 3 }])
    expect(received).toEqual([1, 2, 3, 4, 5])
  })
})
