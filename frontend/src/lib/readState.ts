// Read state as the server keeps it, kept live between its answers: the
// unread count of each chat, the reader's position and the other member's
// ("Seen").
//
// The server's count is exact when it is read (a `Chat` from `chats`,
// `markRead`, `requestChat` or `newChat`); after that the client counts the
// other member's messages its feed delivers and moves the positions with read
// receipts. A count is only ever derived from the newest answer plus what came
// after it, so answers and events may arrive in any order. What this tab
// marks read counts at once, before the server has it, and is taken back if
// the server refuses it.

/** What a `Chat` says about read state. */
export interface ChatReadFields {
  lastSeq: number
  unreadCount: number
  lastReadSeq: number
  peerLastReadSeq: number
}

export interface ReadState {
  /** The chat's newest seq when the server last counted (its `lastSeq`). */
  asOf: number
  /** The server's count then, and the reader's position it was counted from. */
  counted: number
  countedFrom: number
  /** The reader's position: the highest the server has confirmed (answers, receipts). */
  readSeq: number
  /** The highest this tab has marked read, confirmed or not (0: none). */
  markedSeq: number
  /** The other member's position: the reader's messages up to it are seen. */
  peerReadSeq: number
  /** The other member's messages delivered above `asOf` and `readSeq`, ascending. */
  laterFromPeer: readonly number[]
}

export function readStateOf(chat: ChatReadFields): ReadState {
  return {
    asOf: chat.lastSeq,
    counted: chat.unreadCount,
    countedFrom: chat.lastReadSeq,
    readSeq: chat.lastReadSeq,
    markedSeq: 0,
    peerReadSeq: chat.peerLastReadSeq,
    laterFromPeer: [],
  }
}

/**
 * The state after another answer from the server. An answer counted at a
 * newer seq replaces the count (at the same seq, the one from the later
 * position wins: positions only move forward); an older one can still move
 * the positions forward, never back.
 */
export function withAnswer(state: ReadState, chat: ChatReadFields): ReadState {
  const newer =
    chat.lastSeq > state.asOf || (chat.lastSeq === state.asOf && chat.lastReadSeq >= state.countedFrom)
  const based = newer
    ? {
        ...state,
        asOf: chat.lastSeq,
        counted: chat.unreadCount,
        countedFrom: chat.lastReadSeq,
        laterFromPeer: state.laterFromPeer.filter((seq) => seq > chat.lastSeq),
      }
    : state
  return withPeerRead(withMyRead(based, chat.lastReadSeq), chat.peerLastReadSeq)
}

/** The state after the chat's feed delivered message `seq` (in seq order, each once). */
export function withMessage(state: ReadState, seq: number, fromPeer: boolean): ReadState {
  // Up to `asOf` the server has counted it already; the reader's own never count.
  if (!fromPeer || seq <= state.asOf || seq <= state.readSeq || state.laterFromPeer.includes(seq)) return state
  const laterFromPeer = [...state.laterFromPeer, seq].sort((a, b) => a - b)
  return { ...state, laterFromPeer }
}

/** The server moved the reader's position to `seq` (for this tab, or another of theirs). */
export function withMyRead(state: ReadState, seq: number): ReadState {
  if (seq <= state.readSeq) return state
  return { ...state, readSeq: seq, laterFromPeer: state.laterFromPeer.filter((later) => later > seq) }
}

/** This tab marks the chat read up to `seq`: counted read at once. */
export function withMark(state: ReadState, seq: number): ReadState {
  return seq > state.markedSeq ? { ...state, markedSeq: seq } : state
}

/** The server refused this tab's mark: only what it confirmed is read. */
export function withoutMark(state: ReadState): ReadState {
  return state.markedSeq ? { ...state, markedSeq: 0 } : state
}

/** The reader's position as this tab counts it. */
export function positionOf(state: ReadState): number {
  return Math.max(state.readSeq, state.markedSeq)
}

/** The other member's position moved to `seq`. */
export function withPeerRead(state: ReadState, seq: number): ReadState {
  return seq > state.peerReadSeq ? { ...state, peerReadSeq: seq } : state
}

/**
 * Whether `unreadOf` is exact. It is not after the position moved into the
 * range the server counted (a receipt from another tab): how many of the
 * counted messages lie below the new position is the server's to say, so ask
 * it again.
 */
export function isExact(state: ReadState): boolean {
  const position = positionOf(state)
  return position <= state.countedFrom || position >= state.asOf
}

/** The other member's messages above the reader's position; an upper bound while not `isExact`. */
export function unreadOf(state: ReadState): number {
  const position = positionOf(state)
  const later = state.laterFromPeer.filter((seq) => seq > position).length
  if (position <= state.countedFrom) return state.counted + later
  if (position >= state.asOf) return later
  // At most every seq between the position and `asOf`, and no more than were counted.
  return Math.min(state.counted, state.asOf - position) + later
}

/**
 * The seq of the reader's newest message the other member has read, which
 * shows "Seen"; null when they have read none of the messages shown.
 */
export function seenSeq(
  messages: readonly { seq: number; fromUser: { id: string } }[],
  me: string,
  peerReadSeq: number,
): number | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!
    if (message.fromUser.id === me && message.seq <= peerReadSeq) return message.seq
  }
  return null
}

export const APP_NAME = 'Sentichat'

/** The document title: "(3) Sentichat" while anything is unread. */
export function tabTitle(unread: number): string {
  return unread > 0 ? `(${unread}) ${APP_NAME}` : APP_NAME
}

/** A badge's words for screen readers. */
export function unreadLabel(count: number): string {
  return count === 1 ? '1 unread message' : `${count} unread messages`
}
