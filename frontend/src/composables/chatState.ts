// Everything a signed-in user's screen shares: the other users, the chats and
// their live feeds, unread counts, and the messages on their way out.
//
// One `newMessage` subscription per chat feeds Apollo's cache (the chat's
// message list) and the unread counts; it resumes after the last seq it
// holds whenever the socket comes back, so nothing is missed.
import type { ApolloClient, NormalizedCacheObject, ObservableSubscription } from '@apollo/client/core'
import { computed, inject, reactive, ref, type InjectionKey } from 'vue'

import type { Realtime, ResumeContext } from '../apollo'
import {
  ChatMessagesDocument,
  ChatsDocument,
  NewChatDocument,
  NewMessageDocument,
  RequestChatDocument,
  SendMessageDocument,
  UsersDocument,
  type ChatFieldsFragment,
  type MessageFieldsFragment,
  type UserFieldsFragment,
} from '../generated/graphql'
import { describeProblem } from '../lib/errors'
import { ResumePoints } from '../lib/resume'
import type { SessionUser } from '../lib/session'

export const PAGE_SIZE = 50
const USERS_REFRESH_MS = 30_000
const FEED_RETRY_MS = 2_000
const LOAD_RETRY_MS = 5_000

export interface PendingMessage {
  clientId: string
  channel: string
  text: string
  state: 'sending' | 'failed'
  /** Why it failed, in words. */
  problem?: string
  /** Sending it again may work (a network fault, not a refusal). */
  retryable: boolean
}

/** The channel of a pair, as the server names it: lower id first, numerically. */
export function channelOf(a: string, b: string): string {
  const [low, high] = BigInt(a) < BigInt(b) ? [a, b] : [b, a]
  return `private-chat_${low}_${high}`
}

export function createChatState(client: ApolloClient<NormalizedCacheObject>, realtime: Realtime, me: SessionUser) {
  const users = ref<UserFieldsFragment[]>([])
  const chats = reactive(new Map<string, ChatFieldsFragment>()) // by channel
  const unread = reactive(new Map<string, number>()) // by channel
  const pending = ref<PendingMessage[]>([])
  const openChannel = ref<string | null>(null)
  const points = new ResumePoints()
  const feeds = new Map<string, ObservableSubscription>()
  const cleanups: (() => void)[] = []
  const sending = new Map<string, Promise<void>>() // per channel: one send at a time, in order
  const problem = ref<string | null>(null)
  let chatsListed = false
  let stopped = false

  const otherOf = (chat: ChatFieldsFragment) => (chat.fromUser.id === me.id ? chat.toUser : chat.fromUser)

  function writeToHistory(message: MessageFieldsFragment) {
    // Merged by seq into the chat's cached list (see lib/messages.ts).
    client.cache.writeQuery({
      query: ChatMessagesDocument,
      variables: { channel: message.channel },
      data: { __typename: 'Query', messages: [message] },
    })
  }

  function receive(message: MessageFieldsFragment) {
    if (!points.note(message.channel, message.seq)) return
    writeToHistory(message)
    if (message.fromUser.id !== me.id && message.channel !== openChannel.value) {
      unread.set(message.channel, (unread.get(message.channel) ?? 0) + 1)
    }
  }

  function follow(channel: string) {
    if (stopped || feeds.has(channel)) return
    const context: ResumeContext = { resumeFrom: () => points.get(channel) }
    // Ended by the server (SUBSCRIPTION_LAGGED, a close graphql-ws does not
    // retry, a completed stream): resubscribe after what is held.
    const again = (error?: unknown) => {
      feeds.delete(channel)
      if (stopped || (error && describeProblem(error).code === 'FORBIDDEN')) return
      setTimeout(() => follow(channel), FEED_RETRY_MS)
    }
    const feed = client
      .subscribe({ query: NewMessageDocument, variables: { channel }, context, fetchPolicy: 'no-cache' })
      .subscribe({ next: ({ data }) => data && receive(data.newMessage), error: again, complete: again })
    feeds.set(channel, feed)
  }

  function followNewChats() {
    if (stopped) return
    const again = () => setTimeout(followNewChats, FEED_RETRY_MS)
    const notifications = client.subscribe({ query: NewChatDocument, fetchPolicy: 'no-cache' }).subscribe({
      next: ({ data }) => data && addChat(data.newChat, 0),
      error: again,
      complete: again,
    })
    cleanups.push(() => notifications.unsubscribe())
  }

  /** Learn of a chat; `afterSeq` is where its feed starts. */
  function addChat(chat: ChatFieldsFragment, afterSeq: number) {
    if (chats.has(chat.channelName)) return
    chats.set(chat.channelName, chat)
    points.start(chat.channelName, afterSeq)
    follow(chat.channelName)
    if (!users.value.some((user) => user.id === otherOf(chat).id)) void refreshUsers()
  }

  async function refreshUsers() {
    const { data } = await client.query({ query: UsersDocument, fetchPolicy: 'network-only' })
    users.value = data.users
  }

  async function refreshChats() {
    const { data } = await client.query({ query: ChatsDocument, fetchPolicy: 'network-only' })
    // In the first listing only what comes next is news; a chat found later
    // (opened while we were away) is new, and replayed from its start.
    for (const chat of data.chats) addChat(chat, chatsListed ? 0 : chat.lastSeq)
    chatsListed = true
  }

  /** Load the people and the chats; on failure say why, and try again on reconnect. */
  async function load() {
    try {
      await Promise.all([refreshUsers(), refreshChats()])
      problem.value = null
    } catch (error) {
      problem.value = describeProblem(error).text
      if (!stopped) setTimeout(() => void load(), LOAD_RETRY_MS)
    }
  }

  async function openChatWith(userId: string): Promise<string> {
    const channel = channelOf(me.id, userId)
    openChannel.value = channel
    unread.delete(channel)
    if (!chats.has(channel)) {
      // Creates the chat or reuses it, and tells the other user.
      const { data } = await client.mutate({ mutation: RequestChatDocument, variables: { toUser: userId } })
      if (data) addChat(data.requestChat, data.requestChat.lastSeq)
    }
    return channel
  }

  function closeChat() {
    openChannel.value = null
  }

  async function deliver(entry: PendingMessage) {
    entry.problem = undefined
    try {
      const { data } = await client.mutate({
        mutation: SendMessageDocument,
        variables: { channel: entry.channel, message: entry.text, clientId: entry.clientId },
      })
      if (data) writeToHistory(data.sendMessage)
      pending.value = pending.value.filter((other) => other.clientId !== entry.clientId)
    } catch (error) {
      const problem = describeProblem(error)
      entry.state = 'failed'
      entry.problem = problem.text
      entry.retryable = problem.retryable
    }
  }

  /** Show the message at once, then send it; a retry reuses its clientId, so it is stored once. */
  function send(channel: string, text: string) {
    const entry = reactive<PendingMessage>({
      clientId: crypto.randomUUID(),
      channel,
      text,
      state: 'sending',
      retryable: true,
    })
    pending.value = [...pending.value, entry]
    enqueue(entry)
  }

  /** Sends of one chat go one at a time, so they are stored in the order written. */
  function enqueue(entry: PendingMessage) {
    entry.state = 'sending'
    const previous = sending.get(entry.channel) ?? Promise.resolve()
    const next = previous.then(() => deliver(entry))
    sending.set(entry.channel, next)
    void next.then(() => {
      if (sending.get(entry.channel) === next) sending.delete(entry.channel)
    })
  }

  function retry(clientId: string) {
    const entry = pending.value.find((other) => other.clientId === clientId)
    if (entry && entry.state === 'failed') enqueue(entry)
  }

  function discard(clientId: string) {
    pending.value = pending.value.filter((other) => other.clientId !== clientId)
  }

  function start() {
    followNewChats()
    // New users are not pushed: look again now and then, and on coming back to the tab.
    const lookAgain = () => void refreshUsers().catch(() => undefined)
    const timer = setInterval(lookAgain, USERS_REFRESH_MS)
    const onVisible = () => document.visibilityState === 'visible' && lookAgain()
    document.addEventListener('visibilitychange', onVisible)
    cleanups.push(() => {
      clearInterval(timer)
      document.removeEventListener('visibilitychange', onVisible)
    })
    cleanups.push(
      realtime.onReconnected(() => {
        // Chats announced while the socket was down were not replayed.
        void load()
        for (const entry of pending.value) {
          if (entry.state === 'failed' && entry.retryable) enqueue(entry)
        }
      }),
    )
    return load()
  }

  function stop() {
    stopped = true
    cleanups.splice(0).forEach((cleanup) => cleanup())
    feeds.forEach((feed) => feed.unsubscribe())
    feeds.clear()
  }

  const unreadByUser = computed(() => {
    const counts = new Map<string, number>()
    for (const [channel, count] of unread) {
      const chat = chats.get(channel)
      if (chat && count) counts.set(otherOf(chat).id, count)
    }
    return counts
  })

  return {
    me,
    problem,
    users,
    unreadByUser,
    pending,
    openChannel,
    start,
    stop,
    openChatWith,
    closeChat,
    send,
    retry,
    discard,
  }
}

export type ChatState = ReturnType<typeof createChatState>
export const ChatStateKey: InjectionKey<ChatState> = Symbol('ChatState')

export function useChatState(): ChatState {
  const state = inject(ChatStateKey)
  if (!state) throw new Error('useChatState() outside the signed-in layout')
  return state
}
