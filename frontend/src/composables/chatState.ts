// Everything a signed-in user's screen shares: the other users, whether
// they are online and whether the reader blocks them, the chats and their live feeds, read state (unread counts,
// "Seen", "typing…"), and the messages on their way out.
//
// One `newMessage` subscription per chat feeds Apollo's cache (the chat's
// message list) and the unread counts; it resumes after the last seq it
// holds whenever the socket comes back, so nothing is missed. Unread counts
// start from the server's (lib/readState.ts), so they survive a reload.
//
// The open chat also follows `messageChanges` (edits, deletions, reactions,
// and sends too), resumed after the highest version that feed has brought;
// each change replaces the cached message by id, newer versions only: every
// read the client writes itself is checked against the cached one, and what
// the feeds and mutations brought puts back a change that a history page,
// read before it, overwrote (`reassert`).
import type { ApolloClient, NormalizedCacheObject, ObservableSubscription } from '@apollo/client/core'
import { computed, effectScope, inject, reactive, ref, watch, type InjectionKey } from 'vue'

import type { Realtime, ResumeContext } from '../apollo'
import {
  BlockUserDocument,
  ChatActivityDocument,
  ChatMessagesDocument,
  ChatsDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  MarkReadDocument,
  MessageChangesDocument,
  MessageFieldsFragmentDoc,
  NewChatDocument,
  NewMessageDocument,
  PresenceDocument,
  ReactDocument,
  RequestChatDocument,
  SendMessageDocument,
  SetTypingDocument,
  UnblockUserDocument,
  UsersDocument,
  type ChatActivitySubscription,
  type ChatFieldsFragment,
  type ChatMoodFieldsFragment,
  type MessageFieldsFragment,
  type PresenceSubscription,
  type UserFieldsFragment,
} from '../generated/graphql'
import { BlockChanges, withBlockedByMe } from '../lib/blocking'
import { describeProblem } from '../lib/errors'
import { HighestOnly } from '../lib/highestOnly'
import { belongsInList, NewestReads, newerRead } from '../lib/messages'
import type { PresenceView } from '../lib/presence'
import {
  isExact,
  positionOf,
  readStateOf,
  unreadOf,
  withAnswer,
  withMark,
  withMessage,
  withMyRead,
  withoutMark,
  withPeerRead,
  type ReadState,
} from '../lib/readState'
import { ResumePoints, retryDelayMs } from '../lib/resume'
import type { SessionUser } from '../lib/session'
import { TypingAnnouncer } from '../lib/typing'

export const PAGE_SIZE = 50
/** The chats listed (and followed): the newest this many. */
export const CHATS_PAGE = 100
const USERS_REFRESH_MS = 30_000
const FEED_RETRY_MS = 2_000
const LOAD_RETRY_MS = 5_000
/** How long a read position waits for a higher one before it is sent (markRead is rate limited). */
export const MARK_READ_DELAY_MS = 300
/** How long a read receipt from another tab waits before the counts are asked for again. */
export const RECOUNT_DELAY_MS = 300
/**
 * The server runs at most 200 operations per socket (WS_MAX_OPERATIONS):
 * newChat, presence and a newMessage per listed chat leave room for this many
 * chatActivity feeds, with some to spare.
 */
export const MAX_ACTIVITY_FEEDS = 50

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

/** Another user as the list of people shows them. */
export type Person = UserFieldsFragment & { blockedByMe: boolean }

type Activity = ChatActivitySubscription['chatActivity']
type PresenceChange = PresenceSubscription['presence']

export function createChatState(client: ApolloClient<NormalizedCacheObject>, realtime: Realtime, me: SessionUser) {
  const users = ref<Person[]>([])
  const chats = reactive(new Map<string, ChatFieldsFragment>()) // by channel
  const reads = reactive(new Map<string, ReadState>()) // by channel
  // Unread in chats past the first page, which are not followed: as last counted.
  const unreadElsewhere = ref(0)
  const typing = reactive(new Set<string>()) // channels where the other member is typing
  const moods = reactive(new Map<string, ChatMoodFieldsFragment>()) // by channel, as we may see them
  const presence = reactive(new Map<string, PresenceView>()) // by user id; absent: not ours to see
  const pending = ref<PendingMessage[]>([])
  const openChannel = ref<string | null>(null)
  const points = new ResumePoints()
  const feeds = new Map<string, ObservableSubscription>()
  // messageChanges: the highest version its feed has brought per chat (kept
  // when the chat is closed, so reopening it replays what changed meanwhile),
  // and the feed of the open chat.
  const versions = new ResumePoints()
  const changeFeeds = new Map<string, ObservableSubscription>()
  const newest = new NewestReads<MessageFieldsFragment>()
  const activityFeeds = new Map<string, ObservableSubscription>()
  const markers = new Map<string, HighestOnly>() // per channel: the markRead calls
  const cleanups: (() => void)[] = []
  const sending = new Map<string, Promise<void>>() // per channel: one send at a time, in order
  const problem = ref<string | null>(null)
  const scope = effectScope()
  let chatsListed = false
  let stopped = false
  let recountTimer: ReturnType<typeof setTimeout> | undefined
  // Presence changes pushed so far, and the count at each user's latest: a
  // list of users asked for before a change must not undo it.
  let presenceChanges = 0
  const presenceChangedAt = new Map<string, number>()
  const blocks = new BlockChanges()

  const otherOf = (chat: ChatFieldsFragment) => (chat.fromUser.id === me.id ? chat.toUser : chat.fromUser)

  const messageEntry = (message: MessageFieldsFragment) => ({
    id: client.cache.identify(message),
    fragment: MessageFieldsFragmentDoc,
    fragmentName: 'MessageFields',
  })

  /** Of a read and the cached entry of its message, the newer (noted for `reassert`). */
  function newestOf(message: MessageFieldsFragment): MessageFieldsFragment {
    newest.note(message)
    return newerRead(client.cache.readFragment<MessageFieldsFragment>(messageEntry(message)), message)
  }

  function writeToHistory(message: MessageFieldsFragment) {
    // Merged by seq into the chat's cached list (see lib/messages.ts).
    client.cache.writeQuery({
      query: ChatMessagesDocument,
      variables: { channel: message.channel },
      data: { __typename: 'Query', messages: [newestOf(message)] },
    })
  }

  /** The message's own cache entry, whichever lists show it: newer versions only. */
  function writeMessage(message: MessageFieldsFragment) {
    client.cache.writeFragment({ ...messageEntry(message), data: newestOf(message) })
  }

  /**
   * After a history page landed: a message it holds at an older version than
   * a feed or a mutation already brought (the page was read before the
   * change) is shown as changed again.
   */
  function reassert(messages: readonly MessageFieldsFragment[]) {
    for (const message of messages) {
      const newer = newest.newerThan(message.id, message.version)
      if (newer) client.cache.writeFragment({ ...messageEntry(newer), data: newer })
    }
  }

  /**
   * A change from messageChanges. A send newMessage has not delivered yet is
   * listed as newMessage lists it (which still counts it as unread when it
   * comes); anything else only updates the message's entry: written even for
   * a message outside the list, so that a history page read before the
   * change and answered after it cannot bring the old text back.
   */
  function receiveChange(message: MessageFieldsFragment) {
    if (!versions.note(message.channel, message.version)) return
    if (belongsInList(message.seq, points.get(message.channel))) writeToHistory(message)
    else writeMessage(message)
  }

  function receive(message: MessageFieldsFragment) {
    if (!points.note(message.channel, message.seq)) return
    writeToHistory(message)
    // Counted even in the open chat: it is read once it is on a visible screen (markRead).
    const read = reads.get(message.channel)
    if (read) reads.set(message.channel, withMessage(read, message.seq, message.fromUser.id !== me.id))
  }

  /** A chat as the server just read it: its counts, positions and mood. */
  function noteAnswer(chat: ChatFieldsFragment) {
    const read = reads.get(chat.channelName)
    reads.set(chat.channelName, read ? withAnswer(read, chat) : readStateOf(chat))
    moods.set(chat.channelName, chat.mood)
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

  /**
   * The open chat's changes, replayed after the highest version held, then
   * live; after a dropped socket graphql-ws sends the subscription again,
   * and the payload reads the point anew (lib/resume.ts). The point moves
   * only with this feed, in version order: a mutation's answer may carry a
   * higher version than changes the feed has not brought yet.
   */
  function followChanges(channel: string) {
    if (stopped || changeFeeds.has(channel)) return
    const context: ResumeContext = { resumeFrom: () => versions.get(channel), resumeVariable: 'afterVersion' }
    const again = (error?: unknown) => {
      changeFeeds.delete(channel)
      if (stopped || (error && describeProblem(error).code === 'FORBIDDEN')) return
      setTimeout(() => {
        if (wantedChanges.value === channel) followChanges(channel)
      }, FEED_RETRY_MS)
    }
    const feed = client
      .subscribe({ query: MessageChangesDocument, variables: { channel }, context, fetchPolicy: 'no-cache' })
      .subscribe({ next: ({ data }) => data && receiveChange(data.messageChanges), error: again, complete: again })
    changeFeeds.set(channel, feed)
  }

  const wantedChanges = computed(() => {
    const open = openChannel.value
    return open && chats.has(open) ? open : null
  })

  function syncChanges(wanted: string | null) {
    if (stopped) return
    for (const [channel, feed] of [...changeFeeds]) {
      if (channel === wanted) continue
      feed.unsubscribe()
      changeFeeds.delete(channel)
    }
    if (wanted) followChanges(wanted)
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

  /** Learn of a chat (or more of it); `afterSeq` is where its feed starts. */
  function addChat(chat: ChatFieldsFragment, afterSeq: number) {
    noteAnswer(chat)
    if (chats.has(chat.channelName)) return
    chats.set(chat.channelName, chat)
    points.start(chat.channelName, afterSeq)
    // What the chat's messages were when it was read, and so what any of
    // them held in the cache since then shows at least.
    versions.start(chat.channelName, chat.lastVersion)
    follow(chat.channelName)
    if (!users.value.some((user) => user.id === otherOf(chat).id)) void refreshUsers()
  }

  async function refreshUsers() {
    const before = presenceChanges
    const blocksBefore = blocks.mark()
    const { data } = await client.query({ query: UsersDocument, fetchPolicy: 'network-only' })
    users.value = blocks.settle(data.users, blocksBefore)
    // What a block answered since we asked is the cache's word again too.
    users.value.forEach((user, index) => {
      if (user !== data.users[index]) cacheBlocked(user.id, user.blockedByMe)
    })
    for (const user of data.users) {
      if ((presenceChangedAt.get(user.id) ?? 0) > before) continue // pushed since we asked: newer
      if (user.online === null) presence.delete(user.id)
      else presence.set(user.id, { online: user.online, lastSeenAt: user.lastSeenAt })
    }
  }

  async function refreshChats() {
    const { data } = await client.query({
      query: ChatsDocument,
      variables: { first: CHATS_PAGE },
      fetchPolicy: 'network-only',
    })
    // In the first listing only what comes next is news; a chat found later
    // (opened while we were away) is new, and replayed from its start. The
    // counts of chats already known are the server's again.
    for (const chat of data.chats) addChat(chat, chatsListed ? 0 : chat.lastSeq)
    chatsListed = true
    // Only a full page can leave chats out; what the total holds beyond it
    // is counted by no feed. (Not otherwise: the two counts are read apart,
    // and a message between them must not count twice.)
    let counted = 0
    if (data.chats.length >= CHATS_PAGE) {
      const listed = new Set(data.chats.map((chat) => chat.channelName))
      for (const chat of data.chats) counted += chat.unreadCount
      for (const [channel, read] of reads) if (!listed.has(channel)) counted += unreadOf(read)
    }
    unreadElsewhere.value = data.chats.length < CHATS_PAGE ? 0 : Math.max(0, data.unreadTotal - counted)
  }

  /** Ask for the counts again, once for a burst of reasons. */
  function recount() {
    if (stopped || recountTimer !== undefined) return
    recountTimer = setTimeout(() => {
      recountTimer = undefined
      void refreshChats().catch(() => undefined) // counted again on reconnect
    }, RECOUNT_DELAY_MS)
  }

  function notePresence(change: PresenceChange) {
    presenceChanges += 1
    presenceChangedAt.set(change.user.id, presenceChanges)
    presence.set(change.user.id, { online: change.online, lastSeenAt: change.lastSeenAt })
  }

  function followPresence() {
    if (stopped) return
    const again = () => setTimeout(followPresence, FEED_RETRY_MS)
    const changes = client.subscribe({ query: PresenceDocument, fetchPolicy: 'no-cache' }).subscribe({
      next: ({ data }) => data && notePresence(data.presence),
      error: again,
      complete: again,
    })
    cleanups.push(() => changes.unsubscribe())
  }

  function onActivity(event: Activity) {
    const channel = event.channel
    if (event.__typename === 'MoodChanged') {
      moods.set(channel, event.mood)
      return
    }
    if (event.__typename === 'Typing') {
      if (event.user.id === me.id) return // the server sends only the other's; never show our own
      if (event.typing) typing.add(channel)
      else typing.delete(channel)
      return
    }
    const read = reads.get(channel)
    if (!read) return
    if (event.user.id !== me.id) {
      reads.set(channel, withPeerRead(read, event.seq))
      return
    }
    // Ours: from this tab's markRead (already counted), or from another tab.
    const moved = withMyRead(read, event.seq)
    reads.set(channel, moved)
    if (moved !== read && !isExact(moved)) recount()
  }

  /**
   * A chat's read receipts, the other member's typing and its mood's label
   * moving (MoodChanged). Followed for the
   * open chat ("Seen", "typing…"), and for chats with unread messages, whose
   * badge another tab of ours may clear.
   */
  function followActivity(channel: string) {
    if (stopped || activityFeeds.has(channel)) return
    const again = (error?: unknown) => {
      activityFeeds.delete(channel)
      typing.delete(channel) // its `false` may never come
      if (stopped || (error && describeProblem(error).code === 'FORBIDDEN')) return
      setTimeout(() => {
        if (wantedActivity.value.includes(channel)) followActivity(channel)
      }, FEED_RETRY_MS)
    }
    const feed = client
      .subscribe({ query: ChatActivityDocument, variables: { channel }, fetchPolicy: 'no-cache' })
      .subscribe({ next: ({ data }) => data && onActivity(data.chatActivity), error: again, complete: again })
    activityFeeds.set(channel, feed)
  }

  function unfollowActivity(channel: string) {
    activityFeeds.get(channel)?.unsubscribe()
    activityFeeds.delete(channel)
    typing.delete(channel)
  }

  const wantedActivity = computed(() => {
    const open = openChannel.value
    const wanted = open && chats.has(open) ? [open] : []
    for (const [channel, read] of reads) {
      if (wanted.length >= MAX_ACTIVITY_FEEDS) break
      if (channel !== open && chats.has(channel) && unreadOf(read) > 0) wanted.push(channel)
    }
    return wanted
  })

  function syncActivity(wanted: readonly string[]) {
    if (stopped) return
    for (const channel of [...activityFeeds.keys()]) {
      if (!wanted.includes(channel)) unfollowActivity(channel)
    }
    wanted.forEach(followActivity)
  }

  function markerOf(channel: string): HighestOnly {
    let marker = markers.get(channel)
    if (!marker) {
      const send = async (seq: number) => {
        const { data } = await client.mutate({ mutation: MarkReadDocument, variables: { channel, seq } })
        if (data) noteAnswer(data.markRead)
      }
      marker = new HighestOnly(send, {
        delayMs: MARK_READ_DELAY_MS,
        retryAfterMs: (error, failures) => {
          const problem = describeProblem(error)
          if (problem.retryable) return problem.retryAfter ? problem.retryAfter * 1000 : retryDelayMs(failures)
          // The badge went at once; refused, it comes back as the server counts.
          const read = reads.get(channel)
          if (read) reads.set(channel, withoutMark(read))
          recount()
          return null
        },
      })
      markers.set(channel, marker)
    }
    return marker
  }

  /**
   * The reader has seen the chat up to `seq` (on a visible screen): the badge
   * goes at once, and the server hears of it shortly, once for a burst.
   */
  function markRead(channel: string, seq: number) {
    const read = reads.get(channel)
    // Nothing of theirs is unread: moving the position would change nothing anyone sees.
    if (stopped || !read || seq <= positionOf(read) || unreadOf(read) === 0) return
    reads.set(channel, withMark(read, seq))
    markerOf(channel).offer(seq)
  }

  function announceTyping(channel: string, isTyping: boolean) {
    if (stopped) return
    // Best effort: a lost `true` shows nothing, a lost `false` lapses on the server.
    client.mutate({ mutation: SetTypingDocument, variables: { channel, typing: isTyping } }).catch(() => undefined)
  }
  const typist = new TypingAnnouncer(announceTyping)

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
    if (chats.has(channel)) return channel
    try {
      // Creates the chat or reuses it, and tells the other user.
      const { data } = await client.mutate({ mutation: RequestChatDocument, variables: { toUser: userId } })
      if (data) addChat(data.requestChat, data.requestChat.lastSeq)
    } catch (refusal) {
      if (describeProblem(refusal).code !== 'FORBIDDEN') throw refusal
      await readRefused(channel, refusal)
    }
    return channel
  }

  /**
   * A chat requestChat refused: between a blocked pair nothing new may start,
   * but a chat they already have stays readable to both (the chats list may
   * not have come yet, or may not reach it). Its newest page is read (and
   * cached for the pane); with no chat at all, the refusal stands. Its feed
   * is silent while the block lasts, and brings what comes after it.
   */
  async function readRefused(channel: string, refusal: unknown): Promise<void> {
    let newest = 0
    try {
      const variables = { channel, last: PAGE_SIZE }
      const { data } = await client.query({ query: ChatMessagesDocument, variables, fetchPolicy: 'network-only' })
      newest = data.messages.at(-1)?.seq ?? 0
    } catch (error) {
      throw describeProblem(error).code === 'NOT_FOUND' ? refusal : error
    }
    points.start(channel, newest)
    follow(channel)
  }

  function closeChat() {
    openChannel.value = null
  }

  function cacheBlocked(userId: string, blocked: boolean) {
    const id = client.cache.identify({ __typename: 'User', id: userId })
    client.cache.modify({ id, fields: { blockedByMe: () => blocked } })
  }

  /**
   * Block (or unblock) a person. Once the server answers, the list of people,
   * the open chat and Apollo's entry for them (written by the mutation) all
   * say so; a refusal rejects, and nothing changes.
   */
  async function setBlocked(userId: string, blocked: boolean): Promise<void> {
    const variables = { user: userId }
    const user = blocked
      ? (await client.mutate({ mutation: BlockUserDocument, variables })).data?.blockUser
      : (await client.mutate({ mutation: UnblockUserDocument, variables })).data?.unblockUser
    if (!user) return
    blocks.note(user.id, user.blockedByMe)
    users.value = withBlockedByMe(users.value, user.id, user.blockedByMe)
  }

  // Edits, deletions and reactions: the answer is the message as it now is,
  // written to its cache entry unless a newer version came first (Apollo
  // would write it regardless); the change feed brings the same version
  // again, and it changes nothing.
  async function editMessage(id: string, text: string): Promise<void> {
    const { data } = await client.mutate({
      mutation: EditMessageDocument,
      variables: { id, message: text },
      fetchPolicy: 'no-cache',
    })
    if (data) writeMessage(data.editMessage)
  }

  async function deleteMessage(id: string): Promise<void> {
    const { data } = await client.mutate({ mutation: DeleteMessageDocument, variables: { id }, fetchPolicy: 'no-cache' })
    if (data) writeMessage(data.deleteMessage)
  }

  /** Put `emoji` on the message (on), or take ours off. */
  async function react(id: string, emoji: string, on: boolean): Promise<void> {
    const { data } = await client.mutate({ mutation: ReactDocument, variables: { id, emoji, on }, fetchPolicy: 'no-cache' })
    if (data) writeMessage(data.react)
  }

  async function deliver(entry: PendingMessage) {
    entry.problem = undefined
    try {
      // Not cached by Apollo: written here, unless a newer version came first.
      const { data } = await client.mutate({
        mutation: SendMessageDocument,
        variables: { channel: entry.channel, message: entry.text, clientId: entry.clientId },
        fetchPolicy: 'no-cache',
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
    followPresence()
    scope.run(() => {
      watch(wantedActivity, syncActivity, { flush: 'sync', immediate: true })
      watch(wantedChanges, syncChanges, { flush: 'sync', immediate: true })
    })
    // New users are not pushed: look again now and then, and on coming back
    // to the tab, with the counts (another device may have read meanwhile).
    const lookAgain = () => void refreshUsers().catch(() => undefined)
    const timer = setInterval(lookAgain, USERS_REFRESH_MS)
    const onVisible = () => {
      if (document.visibilityState !== 'visible') return
      lookAgain()
      recount()
    }
    document.addEventListener('visibilitychange', onVisible)
    cleanups.push(() => {
      clearInterval(timer)
      document.removeEventListener('visibilitychange', onVisible)
    })
    cleanups.push(
      realtime.onReconnected(() => {
        // Chats announced, positions moved and presence changed while the
        // socket was down were not replayed; a `false` of typing may be lost.
        typing.clear()
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
    scope.stop()
    clearTimeout(recountTimer)
    cleanups.splice(0).forEach((cleanup) => cleanup())
    for (const subscriptions of [feeds, activityFeeds, changeFeeds]) {
      subscriptions.forEach((feed) => feed.unsubscribe())
      subscriptions.clear()
    }
    markers.forEach((marker) => marker.stop())
  }

  const unreadByUser = computed(() => {
    const counts = new Map<string, number>()
    for (const [channel, read] of reads) {
      const chat = chats.get(channel)
      const count = unreadOf(read)
      if (chat && count) counts.set(otherOf(chat).id, count)
    }
    return counts
  })

  /** Every unread message, for the tab's title. */
  const unreadTotal = computed(() => {
    let total = unreadElsewhere.value
    for (const read of reads.values()) total += unreadOf(read)
    return total
  })

  return {
    me,
    problem,
    users,
    unreadByUser,
    unreadTotal,
    pending,
    openChannel,
    start,
    stop,
    openChatWith,
    closeChat,
    send,
    retry,
    discard,
    markRead,
    editMessage,
    deleteMessage,
    react,
    setBlocked,
    reassert,
    /** The unread messages of a chat. */
    unreadIn: (channel: string) => {
      const read = reads.get(channel)
      return read ? unreadOf(read) : 0
    },
    /** The other member's read position in a chat (0: none, or not known yet). */
    peerReadSeq: (channel: string) => reads.get(channel)?.peerReadSeq ?? 0,
    /** A chat's mood as we may see it, as last read or pushed. */
    moodOf: (channel: string): ChatMoodFieldsFragment | null => moods.get(channel) ?? null,
    /**
     * Read the chats' moods again (the list carries each one's, read from
     * what is stored); a failure leaves them as they were.
     */
    refreshMood: () => refreshChats().catch(() => undefined),
    /** Whether the other member of a chat is typing. */
    peerTyping: (channel: string) => typing.has(channel),
    /** A user's presence; undefined when the server does not show it to us. */
    presenceOf: (userId: string): PresenceView | undefined => presence.get(userId),
    /** The user typed a non-empty message in the chat's composer. */
    typed: (channel: string) => typist.typed(channel),
    /** The user sent, emptied the composer or left the chat. */
    doneTyping: () => typist.stop(),
  }
}

export type ChatState = ReturnType<typeof createChatState>
export const ChatStateKey: InjectionKey<ChatState> = Symbol('ChatState')

export function useChatState(): ChatState {
  const state = inject(ChatStateKey)
  if (!state) throw new Error('useChatState() outside the signed-in layout')
  return state
}
