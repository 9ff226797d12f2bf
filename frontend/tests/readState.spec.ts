import { describe, expect, it } from 'vitest'

import {
  isExact,
  readStateOf,
  seenSeq,
  tabTitle,
  unreadLabel,
  unreadOf,
  withAnswer,
  withMark,
  withMessage,
  withMyRead,
  withoutMark,
  withPeerRead,
  type ChatReadFields,
  type ReadState,
} from '../src/lib/readState'

/** The server's answer: 10 messages, read up to 4, 3 of the other's above it. */
const answer = (fields: Partial<ChatReadFields> = {}): ChatReadFields => ({
  lastSeq: 10,
  unreadCount: 3,
  lastReadSeq: 4,
  peerLastReadSeq: 2,
  ...fields,
})

/** Messages delivered by the feed, in order: [seq, from the other member]. */
function delivered(state: ReadState, ...messages: [number, boolean][]): ReadState {
  return messages.reduce((s, [seq, fromPeer]) => withMessage(s, seq, fromPeer), state)
}

describe('unread counts', () => {
  it("start as the server's", () => {
    expect(unreadOf(readStateOf(answer()))).toBe(3)
  })

  it("add the other member's messages after the answer, once each, never the reader's own", () => {
    const state = delivered(readStateOf(answer()), [11, true], [12, false], [13, true], [13, true])
    expect(unreadOf(state)).toBe(5)
  })

  it('ignore messages the answer counted already (a feed replaying history)', () => {
    const state = delivered(readStateOf(answer()), [9, true], [10, true], [11, true])
    expect(unreadOf(state)).toBe(4)
  })

  it('drop to what came after the position once the reader reads to the newest', () => {
    const state = delivered(readStateOf(answer()), [11, true], [12, true])
    expect(unreadOf(withMyRead(state, 11))).toBe(1)
    expect(unreadOf(withMyRead(state, 12))).toBe(0)
    expect(isExact(withMyRead(state, 11))).toBe(true)
  })

  it('are a bound, not exact, after a read into what the server counted', () => {
    const state = withMyRead(readStateOf(answer()), 8) // seqs 9 and 10 may be the reader's own
    expect(isExact(state)).toBe(false)
    expect(unreadOf(state)).toBe(2)
    // ... until the server counts again.
    const counted = withAnswer(state, answer({ lastReadSeq: 8, unreadCount: 1 }))
    expect(isExact(counted)).toBe(true)
    expect(unreadOf(counted)).toBe(1)
  })

  it('take a newer answer over what was counted since the older one', () => {
    const state = delivered(readStateOf(answer()), [11, true], [12, true])
    // The server counted 11 but not yet 12.
    const newer = withAnswer(state, answer({ lastSeq: 11, unreadCount: 4 }))
    expect(unreadOf(newer)).toBe(5)
  })

  it('keep the newer count when an older answer comes late', () => {
    const read = withAnswer(readStateOf(answer()), answer({ lastReadSeq: 10, unreadCount: 0 }))
    const late = withAnswer(delivered(read, [11, true]), answer())
    expect(unreadOf(late)).toBe(1)
    expect(late.readSeq).toBe(10) // positions never go back
  })

  it('count what this tab marks read at once, and take it back if the server refuses', () => {
    const state = delivered(readStateOf(answer()), [11, true])
    const marked = withMark(state, 11)
    expect(unreadOf(marked)).toBe(0)
    expect(withMark(marked, 9)).toBe(marked)
    expect(unreadOf(withoutMark(marked))).toBe(4)
  })
})

describe('the other member position', () => {
  it('moves forward only', () => {
    const state = withPeerRead(readStateOf(answer()), 7)
    expect(withPeerRead(state, 5).peerReadSeq).toBe(7)
    expect(withAnswer(state, answer({ peerLastReadSeq: 3 })).peerReadSeq).toBe(7)
  })
})

describe('"Seen"', () => {
  const ME = '1'
  const THEM = '2'
  const m = (seq: number, from: string) => ({ seq, fromUser: { id: from } })
  const chat = [m(1, ME), m(2, THEM), m(3, ME), m(4, ME), m(5, THEM), m(6, ME)]

  it("goes under the reader's newest message the other member has read", () => {
    expect(seenSeq(chat, ME, 4)).toBe(4)
    expect(seenSeq(chat, ME, 5)).toBe(4) // they read their own 5 too, and 6 not yet
    expect(seenSeq(chat, ME, 6)).toBe(6)
  })

  it('shows nowhere before they read any of ours', () => {
    expect(seenSeq(chat, ME, 0)).toBeNull()
    expect(seenSeq([m(2, THEM), m(3, ME)], ME, 2)).toBeNull()
    expect(seenSeq([], ME, 9)).toBeNull()
  })
})

describe('the tab title', () => {
  it('shows the unread total while there is one', () => {
    expect(tabTitle(3)).toBe('(3) Sentichat')
    expect(tabTitle(0)).toBe('Sentichat')
  })
})

describe('badge labels', () => {
  it('say the count in words', () => {
    expect(unreadLabel(1)).toBe('1 unread message')
    expect(unreadLabel(12)).toBe('12 unread messages')
  })
})
