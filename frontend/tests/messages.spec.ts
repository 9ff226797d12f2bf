import { InMemoryCache } from '@apollo/client/core'
import { describe, expect, it } from 'vitest'

import { ChatMessagesDocument, type MessageFieldsFragment } from '../src/generated/graphql'
import { hasOlder, mergeBySeq, messagesFieldPolicy, unconfirmed } from '../src/lib/messages'
import { neutralSentiment } from './fixtures'

const CHANNEL = 'private-chat_1_2'

function message(seq: number, text = `message ${seq}`, clientId: string | null = null): MessageFieldsFragment {
  const user = (id: string, username: string) => ({ __typename: 'User' as const, id, username })
  return {
    __typename: 'Message',
    id: String(100 + seq),
    seq,
    channel: CHANNEL,
    message: text,
    clientId,
    createdAt: '2026-11-25T10:00:00+00:00',
    fromUser: user('1', 'alice'),
    toUser: user('2', 'bob'),
    sentiment: neutralSentiment(),
  }
}

const seqs = (items: readonly { seq: number }[]) => items.map((item) => item.seq)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('mergeBySeq', () => {
  const bySeq = (item: { seq: number }) => item.seq

  it('appends newer messages', () => {
    expect(seqs(mergeBySeq([{ seq: 1 }, { seq: 2 }], [{ seq: 3 }, { seq: 4 }], bySeq))).toEqual([1, 2, 3, 4])
  })

  it('puts an older page before what is held', () => {
    expect(seqs(mergeBySeq([{ seq: 51 }, { seq: 52 }], [{ seq: 49 }, { seq: 50 }], bySeq))).toEqual([49, 50, 51, 52])
  })

  it('keeps one entry per seq, the incoming one', () => {
    const merged = mergeBySeq([{ seq: 1, v: 'old' }, { seq: 2, v: 'old' }], [{ seq: 2, v: 'new' }], bySeq)
    expect(merged).toEqual([
      { seq: 1, v: 'old' },
      { seq: 2, v: 'new' },
    ])
  })

  it('sorts pushes that arrive out of order', () => {
    expect(seqs(mergeBySeq([{ seq: 1 }], [{ seq: 4 }, { seq: 2 }, { seq: 3 }], bySeq))).toEqual([1, 2, 3, 4])
  })

  it('starts a list from nothing', () => {
    expect(seqs(mergeBySeq(undefined, [{ seq: 5 }], bySeq))).toEqual([5])
  })
})

describe('the cached list of a chat', () => {
  function cache() {
    return new InMemoryCache({ typePolicies: { Query: { fields: { messages: messagesFieldPolicy } } } })
  }
  const write = (c: InMemoryCache, messages: MessageFieldsFragment[], variables: Record<string, unknown> = {}) =>
    c.writeQuery({
      query: ChatMessagesDocument,
      variables: { channel: CHANNEL, ...variables },
      data: { __typename: 'Query', messages },
    })
  const read = (c: InMemoryCache) =>
    c.readQuery({ query: ChatMessagesDocument, variables: { channel: CHANNEL, last: 50 } })?.messages ?? []

  it('merges a history page, pushed messages and an older page into one ordered list', () => {
    const c = cache()
    write(c, range(51, 100).map((seq) => message(seq)), { last: 50 })
    write(c, [message(101)]) // pushed live
    write(c, [message(101)]) // the same push again (mutation result and echo)
    write(c, range(1, 50).map((seq) => message(seq)), { before: 51, last: 50 }) // scrolled up

    expect(seqs(read(c))).toEqual(range(1, 101))
  })

  it('keeps pushes that arrived before the history page', () => {
    const c = cache()
    write(c, [message(60), message(61)]) // pushed before the chat was opened
    write(c, range(12, 61).map((seq) => message(seq)), { last: 50 })

    expect(seqs(read(c))).toEqual(range(12, 61))
  })

  it('keeps each channel separate', () => {
    const c = cache()
    write(c, [message(1)])
    c.writeQuery({
      query: ChatMessagesDocument,
      variables: { channel: 'private-chat_1_3' },
      data: { __typename: 'Query', messages: [{ ...message(1), id: '999', channel: 'private-chat_1_3' }] },
    })

    expect(seqs(read(c))).toEqual([1])
  })
})

describe('hasOlder', () => {
  it('is true while the oldest held seq is above 1 (seqs have no gaps)', () => {
    expect(hasOlder([{ seq: 51 }, { seq: 52 }])).toBe(true)
    expect(hasOlder([{ seq: 1 }, { seq: 2 }])).toBe(false)
    expect(hasOlder([])).toBe(false)
  })
})

describe('unconfirmed', () => {
  it('drops the pending messages the server confirmed, by clientId', () => {
    const pending = [{ clientId: 'a' }, { clientId: 'b' }, { clientId: 'c' }]
    const confirmed = [message(1, 'x', 'a'), message(2, 'y', null), message(3, 'z', 'c')]

    expect(unconfirmed(pending, confirmed)).toEqual([{ clientId: 'b' }])
  })

  it('keeps every pending message before any confirmation', () => {
    expect(unconfirmed([{ clientId: 'a' }], [])).toEqual([{ clientId: 'a' }])
  })
})
