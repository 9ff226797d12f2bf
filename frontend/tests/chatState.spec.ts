import {
  ApolloClient,
  ApolloLink,
  gql,
  InMemoryCache,
  Observable,
  type FetchResult,
  type Operation,
} from '@apollo/client/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readonly, ref } from 'vue'

import type { Realtime, ResumeContext } from '../src/apollo'
import {
  CHATS_PAGE,
  MARK_READ_DELAY_MS,
  MAX_ACTIVITY_FEEDS,
  RECOUNT_DELAY_MS,
  channelOf,
  createChatState,
} from '../src/composables/chatState'
import {
  ChatMessagesDocument,
  UsersDocument,
  type ChatFieldsFragment,
  type MessageFieldsFragment,
} from '../src/generated/graphql'
import { messagesFieldPolicy, messageTypePolicy } from '../src/lib/messages'
import { chatMood, neutralSentiment, unchanged } from './fixtures'

const user = (id: string, username: string) => ({ __typename: 'User' as const, id, username })
const ALICE = user('1', 'alice')
const BOB = user('2', 'bob')
const CAROL = user('3', 'carol')
const DAVE = user('4', 'dave')

type Reading = Pick<ChatFieldsFragment, 'unreadCount' | 'lastReadSeq' | 'peerLastReadSeq'>

/** A chat as Alice sees it: nothing unread unless `reading` says so. */
function chat(from: typeof ALICE, to: typeof ALICE, lastSeq = 0, reading: Partial<Reading> = {}): ChatFieldsFragment {
  return {
    __typename: 'Chat',
    channelName: channelOf(from.id, to.id),
    lastSeq,
    lastVersion: lastSeq,
    unreadCount: 0,
    lastReadSeq: lastSeq,
    peerLastReadSeq: 0,
    ...reading,
    fromUser: from,
    toUser: to,
    mood: chatMood(ALICE, from.id === ALICE.id ? to : from),
  }
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
    ...unchanged(seq),
  }
}

type Observer = { next: (result: FetchResult) => void; error: (error: unknown) => void; complete: () => void }
type Presence = { online: boolean | null; lastSeenAt: string | null }

/** A server in a link: answers by operation name, and lets the test push subscription events. */
class FakeServer {
  users = [BOB, CAROL]
  presence = new Map<string, Presence>() // by user id; absent: null (no chat shared)
  blocked = new Set<string>() // whom Alice blocks, by user id
  blockedBy = new Set<string>() // who blocks Alice, by user id
  // Stored messages by channel: a chat exists if listed here or in `chats`.
  histories = new Map<string, MessageFieldsFragment[]>()
  blockRefused = false
  chats = [chat(ALICE, BOB), chat(CAROL, ALICE)]
  unreadTotal: number | undefined // the sum of the chats' counts unless set
  feeds = new Map<string, { observer: Observer; resumeFrom: () => number | undefined }>()
  // messageChanges, by channel: the feed and the variable it resumes with.
  changeFeeds = new Map<string, { observer: Observer; resumeFrom: () => number | undefined; variable?: string }>()
  // editMessage, deleteMessage and react: what was asked, and the answer.
  changed: { operationName: string; variables: Record<string, unknown> }[] = []
  changeAnswer: MessageFieldsFragment | undefined
  activity = new Map<string, Observer>() // chatActivity, by channel
  newChats: Observer | undefined
  presenceFeed: Observer | undefined
  sendFails = false
  chatsFail = 0 // how many Chats queries to fail first
  chatsAsked = 0
  markReadFails: 'NETWORK' | 'FORBIDDEN' | undefined
  sendGate: Promise<void> = Promise.resolve()
  usersGate: Promise<void> = Promise.resolve()
  sent: Record<string, unknown>[] = []
  marked: Record<string, unknown>[] = []
  typed: Record<string, unknown>[] = []

  link = new ApolloLink(
    (operation: Operation) =>
      new Observable<FetchResult>((observer) => {
        const { variables, operationName } = operation
        const answer = (data: Record<string, unknown>) => {
          observer.next({ data })
          observer.complete()
        }
        const refuse = (message: string, code: string) => {
          observer.next({ errors: [{ message, extensions: { code } }] })
          observer.complete()
        }
        switch (operationName) {
          case 'Users': {
            // Read when asked, answered when the gate opens.
            const users = this.users.map((u) => ({
              ...u,
              online: null,
              lastSeenAt: null,
              ...this.presence.get(u.id),
              blockedByMe: this.blocked.has(u.id),
            }))
            void this.usersGate.then(() => answer({ users }))
            return
          }
          case 'Chats': {
            this.chatsAsked += 1
            if (this.chatsFail-- > 0) return observer.error(new TypeError('Failed to fetch'))
            const chats = this.chats.map((c) => this.counted(c))
            const total = this.unreadTotal ?? chats.reduce((sum, c) => sum + c.unreadCount, 0)
            return answer({ chats, unreadTotal: total })
          }
          case 'MarkRead': {
            this.marked.push(variables)
            if (this.markReadFails === 'NETWORK') return observer.error(new TypeError('Failed to fetch'))
            if (this.markReadFails) return refuse('No.', this.markReadFails)
            const index = this.chats.findIndex((c) => c.channelName === variables.channel)
            // Between a blocked pair the position stays, and nothing counts as unread.
            if (this.isBlocked(variables.channel as string)) return answer({ markRead: this.counted(this.chats[index]!) })
            const seq = variables.seq as number
            // In these tests the reader reads up to the newest.
            this.chats[index] = { ...this.chats[index]!, lastSeq: seq, lastReadSeq: seq, unreadCount: 0 }
            return answer({ markRead: this.chats[index] })
          }
          case 'SetTyping':
            this.typed.push(variables)
            return answer({ setTyping: true })
          case 'ChatActivity': {
            const channel = variables.channel as string
            this.activity.set(channel, observer)
            return () => this.activity.delete(channel)
          }
          case 'Presence':
            this.presenceFeed = observer
            return
          case 'RequestChat': {
            const to = variables.toUser as string
            if (this.blocked.has(to)) return refuse('You blocked this person: unblock them to write to them.', 'FORBIDDEN')
            if (this.blockedBy.has(to)) return refuse('You cannot open a chat with this user.', 'FORBIDDEN')
            return answer({ requestChat: chat(ALICE, [BOB, CAROL, DAVE].find((u) => u.id === to)!, 0) })
          }
          case 'ChatMessages': {
            const channel = variables.channel as string
            const history = this.histories.get(channel)
            if (!history && !this.chats.some((c) => c.channelName === channel)) {
              return refuse('This chat does not exist yet: request it first.', 'NOT_FOUND')
            }
            return answer({ messages: (history ?? []).slice(-((variables.last as number | undefined) ?? 50)) })
          }
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
          case 'BlockUser':
          case 'UnblockUser': {
            if (this.blockRefused) {
              observer.next({ errors: [{ message: 'Too many attempts.', extensions: { code: 'RATE_LIMITED' } }] })
              return observer.complete()
            }
            const id = variables.user as string
            const blocking = operationName === 'BlockUser'
            if (blocking) this.blocked.add(id)
            else this.blocked.delete(id)
            const user = [BOB, CAROL, DAVE].find((u) => u.id === id)!
            return answer({ [blocking ? 'blockUser' : 'unblockUser']: { ...user, blockedByMe: blocking } })
          }
          case 'MessageChanges': {
            const channel = variables.channel as string
            const { resumeFrom, resumeVariable } = operation.getContext() as ResumeContext
            this.changeFeeds.set(channel, { observer, resumeFrom: resumeFrom!, variable: resumeVariable })
            return () => this.changeFeeds.delete(channel)
          }
          case 'EditMessage':
          case 'DeleteMessage':
          case 'React': {
            this.changed.push({ operationName, variables })
            const field = { EditMessage: 'editMessage', DeleteMessage: 'deleteMessage', React: 'react' }[operationName]
            return answer({ [field]: this.changeAnswer })
          }
          case 'NewMessage': {
            const { resumeFrom } = operation.getContext() as ResumeContext
            this.feeds.set(variables.channel as string, { observer, resumeFrom: resumeFrom! })
            return
          }
        }
        observer.error(new Error(`unexpected ${operationName}`))
      }),
  )

  /** Whether either member of the channel blocks the other. */
  isBlocked(channel: string): boolean {
    return [...this.blocked, ...this.blockedBy].some((id) => channel === channelOf(ALICE.id, id))
  }

  /** A chat as the server counts it: nothing is unread in a blocked one. */
  counted(chat: ChatFieldsFragment): ChatFieldsFragment {
    return this.isBlocked(chat.channelName) ? { ...chat, unreadCount: 0 } : chat
  }

  end(channel: string) {
    this.feeds.get(channel)!.observer.complete()
  }

  push(item: MessageFieldsFragment) {
    this.feeds.get(item.channel)!.observer.next({ data: { newMessage: item } })
  }

  /** An event of a chat's messageChanges feed. */
  change(item: MessageFieldsFragment) {
    this.changeFeeds.get(item.channel)!.observer.next({ data: { messageChanges: item } })
  }

  receipt(channel: string, reader: typeof ALICE, seq: number) {
    const event = { __typename: 'ReadReceipt', channel, seq, user: reader }
    this.activity.get(channel)!.next({ data: { chatActivity: event } })
  }

  moodChanged(channel: string, mood: ChatFieldsFragment['mood']) {
    const event = { __typename: 'MoodChanged', channel, mood }
    this.activity.get(channel)!.next({ data: { chatActivity: event } })
  }

  typing(channel: string, typist: typeof ALICE, typing: boolean) {
    const event = { __typename: 'Typing', channel, typing, user: typist }
    this.activity.get(channel)!.next({ data: { chatActivity: event } })
  }

  presenceChange(who: typeof ALICE, online: boolean, lastSeenAt: string) {
    const change = { __typename: 'PresenceChange', user: who, online, lastSeenAt }
    this.presenceFeed!.next({ data: { presence: change } })
  }
}

function setUp() {
  const server = new FakeServer()
  const client = new ApolloClient({
    link: server.link,
    cache: new InMemoryCache({
      typePolicies: { Query: { fields: { messages: messagesFieldPolicy } }, Message: messageTypePolicy },
    }),
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

const BOB_CHAT = channelOf('1', '2')
const CAROL_CHAT = channelOf('1', '3')
const unreadOf = (state: ReturnType<typeof setUp>['state']) => Object.fromEntries(state.unreadByUser.value)

describe('unread badges', () => {
  afterEach(() => vi.useRealTimers())

  it('start from the server counts and count what the feeds bring', async () => {
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 5, { unreadCount: 3, lastReadSeq: 2 }), chat(CAROL, ALICE, 1)]
    await state.start()
    expect(unreadOf(state)).toEqual({ [BOB.id]: 3 })

    server.push(message(BOB, ALICE, 6))
    server.push(message(ALICE, BOB, 7)) // the reader's own never count
    server.push(message(BOB, ALICE, 6)) // a repeat
    server.push(message(CAROL, ALICE, 2))

    expect(unreadOf(state)).toEqual({ [BOB.id]: 4, [CAROL.id]: 1 })
    expect(state.unreadTotal.value).toBe(5)
  })

  it('count in the open chat too, until it is marked read', async () => {
    const { server, state } = setUp()
    await state.start()
    await state.openChatWith(BOB.id)

    server.push(message(BOB, ALICE, 1))
    expect(unreadOf(state)).toEqual({ [BOB.id]: 1 })

    state.markRead(BOB_CHAT, 1)
    expect(state.unreadTotal.value).toBe(0)
  })

  it('go at once when read, and the server hears once for a burst', async () => {
    vi.useFakeTimers()
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 5, { unreadCount: 3, lastReadSeq: 2 })]
    await state.start()

    state.markRead(BOB_CHAT, 4)
    state.markRead(BOB_CHAT, 5)
    state.markRead(BOB_CHAT, 3) // lower: changes nothing
    expect(state.unreadTotal.value).toBe(0)
    expect(server.marked).toEqual([])

    await vi.advanceTimersByTimeAsync(MARK_READ_DELAY_MS)
    expect(server.marked).toEqual([{ channel: BOB_CHAT, seq: 5 }])
    expect(state.unreadTotal.value).toBe(0)

    server.push(message(BOB, ALICE, 6)) // after the server's answer
    expect(unreadOf(state)).toEqual({ [BOB.id]: 1 })
  })

  it('tell the server nothing when nothing is unread', async () => {
    vi.useFakeTimers()
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 5)]
    await state.start()
    server.push(message(ALICE, BOB, 6))

    state.markRead(BOB_CHAT, 6)
    await vi.advanceTimersByTimeAsync(MARK_READ_DELAY_MS)
    expect(server.marked).toEqual([])
  })

  it('come back from the server when it refuses a mark', async () => {
    vi.useFakeTimers()
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 5, { unreadCount: 3, lastReadSeq: 2 })]
    server.markReadFails = 'FORBIDDEN'
    await state.start()
    const asked = server.chatsAsked

    state.markRead(BOB_CHAT, 5)
    expect(state.unreadTotal.value).toBe(0)
    await vi.advanceTimersByTimeAsync(MARK_READ_DELAY_MS)
    await vi.advanceTimersByTimeAsync(RECOUNT_DELAY_MS)

    expect(server.chatsAsked).toBe(asked + 1)
    expect(unreadOf(state)).toEqual({ [BOB.id]: 3 })
  })

  it('are marked again when the network failed', async () => {
    vi.useFakeTimers()
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 5, { unreadCount: 3, lastReadSeq: 2 })]
    server.markReadFails = 'NETWORK'
    await state.start()

    state.markRead(BOB_CHAT, 5)
    await vi.advanceTimersByTimeAsync(MARK_READ_DELAY_MS)
    expect(server.marked).toHaveLength(1)
    server.markReadFails = undefined

    await vi.advanceTimersByTimeAsync(1_000) // the first retry waits at most a second
    expect(server.marked).toEqual([
      { channel: BOB_CHAT, seq: 5 },
      { channel: BOB_CHAT, seq: 5 },
    ])
    expect(state.unreadTotal.value).toBe(0)
  })

  it('follow the reads of another tab, asking the server when it read part of what was counted', async () => {
    vi.useFakeTimers()
    const { server, state } = setUp()
    server.chats = [
      chat(ALICE, BOB, 5, { unreadCount: 3, lastReadSeq: 2 }),
      chat(CAROL, ALICE, 6, { unreadCount: 4, lastReadSeq: 2 }),
    ]
    await state.start()
    const asked = server.chatsAsked

    server.receipt(BOB_CHAT, ALICE, 5) // all of it
    expect(unreadOf(state)).toEqual({ [CAROL.id]: 4 })

    server.chats[1] = chat(CAROL, ALICE, 6, { unreadCount: 1, lastReadSeq: 4 })
    server.receipt(CAROL_CHAT, ALICE, 4) // which of 3 to 6 were Carol's?
    expect(unreadOf(state)).toEqual({ [CAROL.id]: 2 }) // at most seqs 5 and 6
    await vi.advanceTimersByTimeAsync(RECOUNT_DELAY_MS)

    expect(server.chatsAsked).toBe(asked + 1)
    expect(unreadOf(state)).toEqual({ [CAROL.id]: 1 })
  })

  it('count chats past the first page from the server total', async () => {
    const { server, state } = setUp()
    const others = Array.from({ length: CHATS_PAGE }, (_, i) => user(String(10 + i), `user${i}`))
    server.users = others
    server.chats = others.map((other) => chat(other, ALICE, 1, { unreadCount: 1, lastReadSeq: 0 }))
    server.unreadTotal = CHATS_PAGE + 7
    await state.start()

    expect(state.unreadTotal.value).toBe(CHATS_PAGE + 7)
    expect(state.unreadByUser.value.size).toBe(CHATS_PAGE)
  })
})

describe('read receipts, typing and mood', () => {
  afterEach(() => vi.useRealTimers())

  it('are followed for the open chat and for chats with unread messages', async () => {
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 5, { unreadCount: 3, lastReadSeq: 2 }), chat(CAROL, ALICE, 1)]
    await state.start()
    expect([...server.activity.keys()]).toEqual([BOB_CHAT])

    await state.openChatWith(CAROL.id)
    expect([...server.activity.keys()].sort()).toEqual([BOB_CHAT, CAROL_CHAT].sort())

    // Apollo lets a subscription go a moment after its last subscriber.
    state.closeChat()
    await state.openChatWith(BOB.id)
    await settled()
    expect([...server.activity.keys()]).toEqual([BOB_CHAT])
    state.markRead(BOB_CHAT, 5)
    state.closeChat()
    await settled()
    expect([...server.activity.keys()]).toEqual([])

    server.push(message(CAROL, ALICE, 2))
    expect([...server.activity.keys()]).toEqual([CAROL_CHAT])
  })

  it('are followed for at most a budget of chats', async () => {
    const { server, state } = setUp()
    const others = Array.from({ length: MAX_ACTIVITY_FEEDS + 10 }, (_, i) => user(String(10 + i), `user${i}`))
    server.users = others
    server.chats = others.map((other) => chat(other, ALICE, 1, { unreadCount: 1, lastReadSeq: 0 }))
    await state.start()

    expect(server.activity.size).toBe(MAX_ACTIVITY_FEEDS)
  })

  it('move the other member position ("Seen") forward only', async () => {
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 5, { peerLastReadSeq: 2 })]
    await state.start()
    await state.openChatWith(BOB.id)
    expect(state.peerReadSeq(BOB_CHAT)).toBe(2)

    server.receipt(BOB_CHAT, BOB, 4)
    server.receipt(BOB_CHAT, BOB, 3)
    expect(state.peerReadSeq(BOB_CHAT)).toBe(4)
  })

  it('show the other member typing until they stop, or until the feed ends', async () => {
    const { server, state, reconnect } = setUp()
    await state.start()
    await state.openChatWith(BOB.id)

    server.typing(BOB_CHAT, BOB, true)
    expect(state.peerTyping(BOB_CHAT)).toBe(true)
    server.typing(BOB_CHAT, BOB, false)
    expect(state.peerTyping(BOB_CHAT)).toBe(false)

    server.typing(BOB_CHAT, BOB, true)
    reconnect() // its `false` may have been lost
    expect(state.peerTyping(BOB_CHAT)).toBe(false)

    server.typing(BOB_CHAT, BOB, true)
    server.activity.get(BOB_CHAT)!.complete()
    expect(state.peerTyping(BOB_CHAT)).toBe(false)
  })

  it('bring the mood of the open chat when its label moves', async () => {
    const { server, state } = setUp()
    server.chats = [{ ...chat(ALICE, BOB, 3), mood: chatMood(ALICE, BOB, 0.5, 3) }]
    await state.start()
    expect(state.moodOf(BOB_CHAT)?.label).toBe('POSITIVE')

    await state.openChatWith(BOB.id)
    server.moodChanged(BOB_CHAT, chatMood(ALICE, BOB, -0.4, 5))
    expect(state.moodOf(BOB_CHAT)).toMatchObject({ label: 'NEGATIVE', score: -0.4 })
  })

  it('read the moods again on asking, as the list of chats has them', async () => {
    const { server, state } = setUp()
    await state.start()
    expect(state.moodOf(BOB_CHAT)?.label).toBe('NEUTRAL')
    server.chats = [{ ...chat(ALICE, BOB, 2), mood: chatMood(ALICE, BOB, 0.9, 2) }, chat(CAROL, ALICE)]
    await state.refreshMood()
    expect(state.moodOf(BOB_CHAT)?.label).toBe('POSITIVE')
    expect(state.moodOf(channelOf('9', '1'))).toBeNull()
  })

  it('announce the reader typing once per renewal, and its end', async () => {
    vi.useFakeTimers()
    const { server, state } = setUp()
    await state.start()

    state.typed(BOB_CHAT)
    await vi.advanceTimersByTimeAsync(1_000)
    state.typed(BOB_CHAT)
    await vi.advanceTimersByTimeAsync(1_500)
    state.typed(BOB_CHAT) // 2.5 s after the first: renewed
    state.doneTyping()
    state.doneTyping()
    await vi.advanceTimersByTimeAsync(0)

    expect(server.typed).toEqual([
      { channel: BOB_CHAT, typing: true },
      { channel: BOB_CHAT, typing: true },
      { channel: BOB_CHAT, typing: false },
    ])
  })
})

describe('presence', () => {
  afterEach(() => vi.useRealTimers())

  it('comes from the list of people, then live; unknown for people without a chat', async () => {
    const { server, state } = setUp()
    server.presence.set(BOB.id, { online: true, lastSeenAt: '2026-12-06T10:00:00+00:00' })
    await state.start()
    expect(state.presenceOf(BOB.id)).toEqual({ online: true, lastSeenAt: '2026-12-06T10:00:00+00:00' })
    expect(state.presenceOf(CAROL.id)).toBeUndefined()

    server.presenceChange(BOB, false, '2026-12-06T10:05:00+00:00')
    expect(state.presenceOf(BOB.id)).toEqual({ online: false, lastSeenAt: '2026-12-06T10:05:00+00:00' })
  })

  it('is not undone by a list of people asked for before a change', async () => {
    vi.useFakeTimers()
    const { server, state } = setUp()
    server.presence.set(BOB.id, { online: true, lastSeenAt: '2026-12-06T10:00:00+00:00' })
    await state.start()
    let release!: () => void
    server.usersGate = new Promise((resolve) => (release = resolve))

    await vi.advanceTimersByTimeAsync(30_000) // the list is asked for again
    server.presenceChange(BOB, false, '2026-12-06T10:05:00+00:00')
    release()
    await vi.advanceTimersByTimeAsync(0)

    expect(state.presenceOf(BOB.id)?.online).toBe(false)
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

describe('changes to messages (edits, deletions, reactions)', () => {
  /** A later version of a message: its text edited, or (text null) deleted. */
  function changed(item: MessageFieldsFragment, version: number, text: string | null): MessageFieldsFragment {
    if (text === null) {
      const at = '2026-11-25T10:05:00+00:00'
      return { ...item, version, message: '', sentiment: null, reactions: [], deletedAt: at }
    }
    return { ...item, version, message: text, editedAt: '2026-11-25T10:05:00+00:00' }
  }
  type Client = ReturnType<typeof setUp>['client']
  const listed = (client: Client) =>
    client.readQuery({ query: ChatMessagesDocument, variables: { channel: BOB_CHAT } })?.messages ?? []
  const shown = (client: Client) => listed(client).map((m) => [m.seq, m.message || '(deleted)'])
  /** A history page lands, as Apollo writes it; the pane then has what the feeds brought put back. */
  function history({ client, state }: ReturnType<typeof setUp>, items: MessageFieldsFragment[], before?: number) {
    client.writeQuery({
      query: ChatMessagesDocument,
      variables: { channel: BOB_CHAT, last: 50, before },
      data: { __typename: 'Query', messages: items },
    })
    state.reassert(listed(client))
  }

  it('are followed for the open chat only, after its version when it was listed', async () => {
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 7), chat(CAROL, ALICE, 3)]
    await state.start()
    expect([...server.changeFeeds.keys()]).toEqual([])

    await state.openChatWith(BOB.id)
    const feed = server.changeFeeds.get(BOB_CHAT)!
    expect([feed.resumeFrom(), feed.variable]).toEqual([7, 'afterVersion'])

    state.closeChat()
    await settled()
    expect([...server.changeFeeds.keys()]).toEqual([])
  })

  it('replace the message they change, by id, and list a send that came first', async () => {
    const setup = setUp()
    const { server, state, client } = setup
    server.chats = [chat(ALICE, BOB, 2)]
    await state.start()
    await state.openChatWith(BOB.id)
    const [one, two] = [message(ALICE, BOB, 1), message(BOB, ALICE, 2)]
    history(setup, [one, two])

    server.change(changed(one, 3, 'message 1, edited'))
    server.change(changed(two, 4, null))
    const three = { ...message(BOB, ALICE, 3), version: 5 }
    server.change(three) // before newMessage brings it
    expect(shown(client)).toEqual([
      [1, 'message 1, edited'],
      [2, '(deleted)'],
      [3, 'message 3'],
    ])
    expect(unreadOf(state)).toEqual({}) // counted when newMessage brings it, once
    server.push(three)
    expect(shown(client)).toHaveLength(3)
    expect(unreadOf(state)).toEqual({ [BOB.id]: 1 })
  })

  it('are not undone by an older read of the message that comes later', async () => {
    const setup = setUp()
    const { server, state, client } = setup
    server.chats = [chat(ALICE, BOB, 1)]
    await state.start()
    await state.openChatWith(BOB.id)
    const one = message(BOB, ALICE, 1)

    server.change(changed(one, 2, 'edited')) // the feed, before the history page it raced
    history(setup, [one])
    expect(shown(client)).toEqual([[1, 'edited']])
  })

  it('update a message outside the loaded pages without listing it, so no gap opens', async () => {
    const setup = setUp()
    const { server, state, client } = setup
    server.chats = [chat(ALICE, BOB, 60)]
    await state.start()
    await state.openChatWith(BOB.id)
    const page = Array.from({ length: 50 }, (_, i) => message(BOB, ALICE, 11 + i))
    history(setup, page)

    server.change(changed(message(BOB, ALICE, 3), 61, 'old, edited'))
    expect(shown(client)?.[0]).toEqual([11, 'message 11'])

    // Scrolled up later: the page read before the edit shows the edit.
    history(setup, Array.from({ length: 10 }, (_, i) => message(BOB, ALICE, 1 + i)), 11)
    expect(shown(client)?.slice(0, 3)).toEqual([
      [1, 'message 1'],
      [2, 'message 2'],
      [3, 'old, edited'],
    ])
  })

  it('resume after the highest version the feed brought, not a mutation answer ahead of it', async () => {
    const setup = setUp()
    const { server, state, client } = setup
    server.chats = [chat(ALICE, BOB, 2)]
    await state.start()
    await state.openChatWith(BOB.id)
    const [one, two] = [message(ALICE, BOB, 1), message(ALICE, BOB, 2)]
    history(setup, [one, two])
    server.change(changed(one, 3, 'edit one'))

    // Our edit is answered as version 5; version 4 (a reaction of Bob's) is still on its way.
    server.changeAnswer = changed(two, 5, 'edit two')
    await state.editMessage(two.id, 'edit two')
    expect(server.changed).toEqual([{ operationName: 'EditMessage', variables: { id: two.id, message: 'edit two' } }])
    expect(shown(client)).toEqual([
      [1, 'edit one'],
      [2, 'edit two'],
    ])
    expect(server.changeFeeds.get(BOB_CHAT)!.resumeFrom()).toBe(3)

    // The feed's older read of message 2 (its reaction) does not undo the edit.
    const reacted = { ...two, version: 4, reactions: [{ __typename: 'Reaction' as const, emoji: '👍', count: 1, mine: false }] }
    server.change(reacted)
    expect(shown(client)?.[1]).toEqual([2, 'edit two'])
    server.change(changed(two, 5, 'edit two'))
    server.change(changed(two, 5, 'edit two')) // no version twice: a repeat changes nothing
    expect(server.changeFeeds.get(BOB_CHAT)!.resumeFrom()).toBe(5)
  })

  it('keep their point while the chat is closed, so reopening replays what changed meanwhile', async () => {
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 2)]
    await state.start()
    await state.openChatWith(BOB.id)
    server.change({ ...message(BOB, ALICE, 1), version: 6 })
    state.closeChat()
    await settled()

    await state.openChatWith(BOB.id)
    expect(server.changeFeeds.get(BOB_CHAT)!.resumeFrom()).toBe(6)
  })

  it('react and delete through the server', async () => {
    const { server, state } = setUp()
    await state.start()
    const one = message(ALICE, BOB, 1)
    server.changeAnswer = one

    await state.react(one.id, '👍', true)
    await state.react(one.id, '👍', false)
    await state.deleteMessage(one.id)
    expect(server.changed).toEqual([
      { operationName: 'React', variables: { id: one.id, emoji: '👍', on: true } },
      { operationName: 'React', variables: { id: one.id, emoji: '👍', on: false } },
      { operationName: 'DeleteMessage', variables: { id: one.id } },
    ])
  })
})

describe('blocking a person', () => {
  afterEach(() => vi.useRealTimers())

  const blockedOf = (state: ReturnType<typeof setUp>['state']) =>
    Object.fromEntries(state.users.value.map((u) => [u.username, u.blockedByMe]))
  const cachedBlocked = (client: ReturnType<typeof setUp>['client'], id: string) =>
    client.cache.readFragment<{ blockedByMe: boolean }>({
      id: client.cache.identify({ __typename: 'User', id }),
      fragment: gql`
        fragment Blocked on User {
          blockedByMe
        }
      `,
    })?.blockedByMe

  it("flips blockedByMe in the list of people and in Apollo's cache once the server answers, and back", async () => {
    const { state, client } = setUp()
    await state.start()
    expect(blockedOf(state)).toEqual({ bob: false, carol: false })

    await state.setBlocked(BOB.id, true)
    expect(blockedOf(state)).toEqual({ bob: true, carol: false })
    expect(cachedBlocked(client, BOB.id)).toBe(true)
    const { users } = client.readQuery({ query: UsersDocument })!
    expect(users.find((u) => u.id === BOB.id)?.blockedByMe).toBe(true)

    await state.setBlocked(BOB.id, false)
    expect(blockedOf(state)).toEqual({ bob: false, carol: false })
    expect(cachedBlocked(client, BOB.id)).toBe(false)
  })

  it('is not undone by a list of people asked for before the block', async () => {
    vi.useFakeTimers()
    const { server, state, client } = setUp()
    await state.start()
    let release!: () => void
    server.usersGate = new Promise((resolve) => (release = resolve))

    await vi.advanceTimersByTimeAsync(30_000) // the list is asked for again, before the block
    await state.setBlocked(BOB.id, true)
    server.blocked.delete(BOB.id) // the list was read before the block
    release()
    await vi.advanceTimersByTimeAsync(0)

    expect(blockedOf(state)).toEqual({ bob: true, carol: false })
    expect(cachedBlocked(client, BOB.id)).toBe(true)
  })

  it('leaves everything as it was when refused, and says why', async () => {
    const { server, state } = setUp()
    await state.start()
    server.blockRefused = true

    await expect(state.setBlocked(BOB.id, true)).rejects.toMatchObject({
      graphQLErrors: [{ extensions: { code: 'RATE_LIMITED' } }],
    })
    expect(blockedOf(state)).toEqual({ bob: false, carol: false })
  })
})

describe('a blocked chat', () => {
  afterEach(() => vi.useRealTimers())

  const cachedSeqs = (client: ReturnType<typeof setUp>['client'], channel: string) =>
    client.readQuery({ query: ChatMessagesDocument, variables: { channel } })?.messages.map((m) => m.seq)

  it('opened before the chats list came (a reload) is read from its channel, by the blocker', async () => {
    const { server, state, client } = setUp()
    server.blocked.add(BOB.id)
    server.histories.set(BOB_CHAT, [message(BOB, ALICE, 1), message(ALICE, BOB, 2)])

    expect(await state.openChatWith(BOB.id)).toBe(BOB_CHAT)

    expect(cachedSeqs(client, BOB_CHAT)).toEqual([1, 2])
    // Its feed is silent while the block lasts, and brings what follows an unblock.
    expect(server.feeds.get(BOB_CHAT)!.resumeFrom()).toBe(2)
  })

  it('is read from its channel by the blocked member too, when the chats list leaves it out', async () => {
    const { server, state, client } = setUp()
    server.blockedBy.add(BOB.id)
    server.chats = [chat(CAROL, ALICE, 1)] // Bob's chat is not listed
    server.histories.set(BOB_CHAT, [message(ALICE, BOB, 1)])
    await state.start()

    expect(await state.openChatWith(BOB.id)).toBe(BOB_CHAT)
    expect(cachedSeqs(client, BOB_CHAT)).toEqual([1])
  })

  it('that does not exist is refused as requestChat refused it', async () => {
    const { server, state } = setUp()
    server.blockedBy.add(DAVE.id)
    await state.start()

    await expect(state.openChatWith(DAVE.id)).rejects.toMatchObject({
      graphQLErrors: [{ message: 'You cannot open a chat with this user.', extensions: { code: 'FORBIDDEN' } }],
    })
    expect(server.feeds.has(channelOf('1', '4'))).toBe(false)
  })

  it('is not marked read again and again when the server leaves the position where it was', async () => {
    vi.useFakeTimers()
    const { server, state } = setUp()
    server.chats = [chat(ALICE, BOB, 5, { unreadCount: 3, lastReadSeq: 2 })]
    await state.start()
    await state.openChatWith(BOB.id)
    server.blocked.add(BOB.id) // from now on markRead answers the chat unmoved, counting nothing

    state.markRead(BOB_CHAT, 5)
    await vi.advanceTimersByTimeAsync(MARK_READ_DELAY_MS)
    expect(server.marked).toEqual([{ channel: BOB_CHAT, seq: 5 }])
    // The pane marks what is on screen after each change of the count, on each scroll, after a recount.
    for (let i = 0; i < 5; i++) {
      state.markRead(BOB_CHAT, 5)
      await state.refreshMood()
      await vi.advanceTimersByTimeAsync(10 * MARK_READ_DELAY_MS)
    }

    expect(server.marked).toHaveLength(1)
    expect(state.unreadTotal.value).toBe(0)
  })

  it('counts nothing unread after a reload, and tells the server nothing', async () => {
    vi.useFakeTimers()
    const { server, state } = setUp()
    server.blocked.add(BOB.id)
    server.chats = [chat(ALICE, BOB, 5, { unreadCount: 3, lastReadSeq: 2 })]
    await state.start()
    await state.openChatWith(BOB.id)

    state.markRead(BOB_CHAT, 5)
    await vi.advanceTimersByTimeAsync(10 * MARK_READ_DELAY_MS)
    expect(server.marked).toEqual([])
    expect(state.unreadTotal.value).toBe(0)
  })
})
