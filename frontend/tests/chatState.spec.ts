import { ApolloClient, ApolloLink, InMemoryCache, Observable, type FetchResult, type Operation } from '@apollo/client/core'
import { describe, expect, it, vi } from 'vitest'
import { readonly, ref } from 'vue'

import type { Realtime, ResumeContext } from '../src/apollo'
import { channelOf, createChatState } from '../src/composables/chatState'
import { ChatMessagesDocument, type ChatFieldsFragment, type MessageFieldsFragment } from '../src/generated/graphql'
import { messagesFieldPolicy } from '../src/lib/messages'
import { neutralSentiment } from './fixtures'

const user = (id: string, username: string) => ({ __typename: 'User' as const, id, username })
const ALICE = user('1', 'alice')
const BOB = user('2', 'bob')
const CAROL = user('3', 'carol')
const DAVE = user('4', 'dave')

function chat(from: typeof ALICE, to: typeof ALICE, lastSeq = 0): ChatFieldsFragment {
  return { __typename: 'Chat', channelName: channelOf(from.id, to.id), lastSeq, fromUser: from, toUser: to }
}

function message(from: typeof ALICE, to: typeof ALICE, seq: number, clientId: string | null = null): MessageFieldsFragment {
  return {
    __typename: 'Message',
    id: `${channelOf(from.id, to.id)}#${seq}`,
    seq,
    channel: channelOf(from.id, to.id),
    message: `message ${seq}`,
    clientId,
    createdAt: '2026-11-25T10:00:00+00:00',
    fromUser: from,
    toUser: to,
    sentiment: neutralSentiment(),
  }
}

type Observer = { next: (result: FetchResult) => void; error: (error: unknown) => void; complete: () => void }

/** A server in a link: answers by operation name, and lets the test push subscription events. */
class FakeServer {
  users = [BOB, CAROL]
  chats = [chat(ALICE, BOB), chat(CAROL, ALICE)]
  feeds = new Map<string, { observer: Observer; resumeFrom: () => number | undefined }>()
  newChats: Observer | undefined
  sendFails = false
  chatsFail = 0 // how many Chats queries to fail first
  sendGate: Promise<void> = Promise.resolve()
  sent: Record<string, unknown>[] = []

  link = new ApolloLink(
    (operation: Operation) =>
      new Observable<FetchResult>((observer) => {
        const { variables, operationName } = operation
        const answer = (data: Record<string, unknown>) => {
          observer.next({ data })
          observer.complete()
        }
        switch (operationName) {
          case 'Users':
            return answer({ users: this.users })
          case 'Chats':
            if (this.chatsFail-- > 0) return observer.error(new TypeError('Failed to fetch'))
            return answer({ chats: this.chats })
          case 'RequestChat':
            return answer({ requestChat: chat(ALICE, [BOB, CAROL, DAVE].find((u) => u.id === variables.toUser)!, 0) })
          case 'SendMessage': {
            this.sent.push(variables)
            if (this.sendFails) return observer.error(new TypeError('Failed to fetch'))
            const to = variables.channel === channelOf('1', '2') ? BOB : CAROL
            const seq = this.sent.length
            void this.sendGate.then(() => answer({ sendMessage: message(ALICE, to, seq, variables.clientId as string) }))
            return
          }
          case 'NewChat':
            this.newChats = observer
            return
          case 'NewMessage': {
            const { resumeFrom } = operation.getContext() as ResumeContext
            this.feeds.set(variables.channel as string, { observer, resumeFrom: resumeFrom! })
            return
          }
        }
        observer.error(new Error(`unexpected ${operationName}`))
      }),
  )

  end(channel: string) {
    this.feeds.get(channel)!.observer.complete()
  }

  push(item: MessageFieldsFragment) {
    this.feeds.get(item.channel)!.observer.next({ data: { newMessage: item } })
  }
}

function setUp() {
  const server = new FakeServer()
  const client = new ApolloClient({
    link: server.link,
    cache: new InMemoryCache({ typePolicies: { Query: { fields: { messages: messagesFieldPolicy } } } }),
  })
  const reconnected = new Set<() => void>()
  const realtime: Realtime = {
    state: readonly(ref('online' as const)),
    onReconnected: (listener) => {
      reconnected.add(listener)
      return () => reconnected.delete(listener)
    },
    stop: () => undefined,
  }
  const state = createChatState(client, realtime, { id: ALICE.id, username: ALICE.username })
  const reconnect = () => reconnected.forEach((listener) => listener())
  return { server, client, state, reconnect }
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('unread badges', () => {
  it('count messages from a user while another chat is open, and clear when it opens', async () => {
    const { server, state } = setUp()
    await state.start()
    await state.openChatWith(CAROL.id)

    server.push(message(BOB, ALICE, 1))
    server.push(message(BOB, ALICE, 2))
    server.push(message(CAROL, ALICE, 1)) // in the open chat

    expect(Object.fromEntries(state.unreadByUser.value)).toEqual({ [BOB.id]: 2 })

    await state.openChatWith(BOB.id)
    expect(state.unreadByUser.value.size).toBe(0)
  })

  it('ignore the reader own messages and repeats', async () => {
    const { server, state } = setUp()
    await state.start()

    server.push(message(ALICE, BOB, 1))
    server.push(message(BOB, ALICE, 2))
    server.push(message(BOB, ALICE, 2))

    expect(Object.fromEntries(state.unreadByUser.value)).toEqual({ [BOB.id]: 1 })
  })
})

describe('live feeds', () => {
  it('start each known chat after its newest seq at load', async () => {
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 12), chat(CAROL, ALICE, 3)]
    await state.start()

    expect(server.feeds.get(channelOf('1', '2'))!.resumeFrom()).toBe(12)
    expect(server.feeds.get(channelOf('1', '3'))!.resumeFrom()).toBe(3)
  })

  it('resume after the last seq held', async () => {
    const { server, state } = setUp()
    await state.start()
    server.push(message(BOB, ALICE, 1))
    server.push(message(BOB, ALICE, 2))

    expect(server.feeds.get(channelOf('1', '2'))!.resumeFrom()).toBe(2)
  })

  it('write pushed messages into the chat history in the cache', async () => {
    const { server, state, client } = setUp()
    await state.start()
    server.push(message(BOB, ALICE, 1))
    server.push(message(ALICE, BOB, 2))

    const cached = client.readQuery({ query: ChatMessagesDocument, variables: { channel: channelOf('1', '2') } })
    expect(cached?.messages.map((m) => m.seq)).toEqual([1, 2])
  })

  it('follow a chat another user opens, from its start, and learn of that user', async () => {
    const { server, state } = setUp()
    await state.start()
    server.users = [BOB, CAROL, DAVE]

    server.newChats!.next({ data: { newChat: chat(DAVE, ALICE, 0) } })
    await settled()

    expect(server.feeds.get(channelOf('1', '4'))!.resumeFrom()).toBe(0)
    expect(state.users.value.map((u) => u.username)).toEqual(['bob', 'carol', 'dave'])
  })

  it('after a reconnect, find chats opened meanwhile and replay them from the start', async () => {
    const { server, state, reconnect } = setUp()
    await state.start()
    server.chats = [chat(DAVE, ALICE, 4), ...server.chats]
    server.users = [BOB, CAROL, DAVE]

    reconnect()
    await settled()

    expect(server.feeds.get(channelOf('1', '4'))!.resumeFrom()).toBe(0)
  })
})

describe('sending', () => {
  it('shows the message at once, then reconciles it with the server', async () => {
    const { server, state, client } = setUp()
    await state.start()

    state.send(channelOf('1', '2'), 'hello')
    expect(state.pending.value.map((p) => [p.text, p.state])).toEqual([['hello', 'sending']])
    await settled()

    expect(state.pending.value).toEqual([])
    const cached = client.readQuery({ query: ChatMessagesDocument, variables: { channel: channelOf('1', '2') } })
    expect(cached?.messages.map((m) => m.clientId)).toEqual([server.sent[0]!.clientId])
  })

  it('keeps a failed message, and sends it again with the same clientId after a reconnect', async () => {
    const { server, state, reconnect } = setUp()
    await state.start()
    server.sendFails = true

    state.send(channelOf('1', '2'), 'hello')
    await settled()
    expect(state.pending.value.map((p) => [p.state, p.problem, p.retryable])).toEqual([
      ['failed', "Can't reach Sentichat. Check your connection and try again.", true],
    ])

    server.sendFails = false
    reconnect()
    await vi.waitFor(() => expect(state.pending.value).toEqual([]))
    expect(server.sent.map((v) => v.clientId)).toEqual([server.sent[0]!.clientId, server.sent[0]!.clientId])
  })
})

describe('resilience', () => {
  it('a first listing that failed does not count old messages as unread once it works', async () => {
    const { server, state, reconnect } = setUp()
    server.chatsFail = 1
    server.chats = [chat(ALICE, BOB, 40)]
    await state.start()
    expect(state.problem.value).toBe("Can't reach Sentichat. Check your connection and try again.")

    reconnect()
    await vi.waitFor(() => expect(state.problem.value).toBeNull())

    expect(server.feeds.get(channelOf('1', '2'))!.resumeFrom()).toBe(40)
    expect(state.unreadByUser.value.size).toBe(0)
  })

  it('a feed the server ends is followed again, after what it holds', async () => {
    vi.useFakeTimers()
    try {
      const { server, state } = setUp()
      await state.start()
      const channel = channelOf('1', '2')
      server.push(message(BOB, ALICE, 1))
      const first = server.feeds.get(channel)

      server.end(channel)
      await vi.advanceTimersByTimeAsync(2_000)

      expect(server.feeds.get(channel)).not.toBe(first)
      expect(server.feeds.get(channel)!.resumeFrom()).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('sends of one chat go one at a time, in the order written', async () => {
    const { server, state } = setUp()
    await state.start()
    let release!: () => void
    server.sendGate = new Promise((resolve) => (release = resolve))

    state.send(channelOf('1', '2'), 'first')
    state.send(channelOf('1', '2'), 'second')
    await settled()
    expect(server.sent.map((v) => v.message)).toEqual(['first'])

    release()
    await vi.waitFor(() => expect(state.pending.value).toEqual([]))
    expect(server.sent.map((v) => v.message)).toEqual(['first', 'second'])
  })
})
