import { InMemoryCache } from '@apollo/client/core'
import { describe, expect, it, vi } from 'vitest'

import { ChatMessagesDocument, type MessageFieldsFragment } from '../src/generated/graphql'
import {
  belongsInList,
  hasOlder,
  mergeBySeq,
  messagesFieldPolicy,
  messageTypePolicy,
  NewestReads,
  newerRead,
  unconfirmed,
} from '../src/lib/messages'
import { neutralSentiment, unchanged } from './fixtures'

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
    ...unchanged(seq),
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

describe('newerRead', () => {
  it('keeps the higher version, and the incoming read on a tie', () => {
    const v = (version: number, tag: string) => ({ version, tag })

    expect(newerRead(v(3, 'held'), v(2, 'late'))).toEqual(v(3, 'held'))
    expect(newerRead(v(3, 'held'), v(4, 'edit'))).toEqual(v(4, 'edit'))
    expect(newerRead(v(3, 'held'), v(3, 'again'))).toEqual(v(3, 'again'))
    expect(newerRead(null, v(1, 'first'))).toEqual(v(1, 'first'))
  })
})

describe('NewestReads', () => {
  it('holds the newest read of each message and says when it is newer than one shown', () => {
    const reads = new NewestReads<{ id: string; version: number; text: string }>()
    reads.note({ id: 'a', version: 5, text: 'edited' })
    reads.note({ id: 'a', version: 4, text: 'reacted' }) // older, later: ignored
    reads.note({ id: 'b', version: 2, text: 'sent' })

    expect(reads.newerThan('a', 1)?.text).toBe('edited')
    expect(reads.newerThan('a', 5)).toBeUndefined()
    expect(reads.newerThan('b', 3)).toBeUndefined()
    expect(reads.newerThan('c', 0)).toBeUndefined()
  })
})

describe('belongsInList', () => {
  it('lists only a message newer than every one newMessage delivered', () => {
    expect(belongsInList(11, 10)).toBe(true)
    expect(belongsInList(10, 10)).toBe(false) // a change to a delivered message
    expect(belongsInList(3, 10)).toBe(false) // older, maybe outside the loaded pages
    expect(belongsInList(1, undefined)).toBe(true)
  })
})

describe('a message changing in the cache', () => {
  function cache() {
    return new InMemoryCache({
      typePolicies: { Query: { fields: { messages: messagesFieldPolicy } }, Message: messageTypePolicy },
    })
  }
  const write = (c: InMemoryCache, messages: MessageFieldsFragment[]) =>
    c.writeQuery({
      query: ChatMessagesDocument,
      variables: { channel: CHANNEL },
      data: { __typename: 'Query', messages },
    })
  const read = (c: InMemoryCache) =>
    c.readQuery({ query: ChatMessagesDocument, variables: { channel: CHANNEL } })?.messages ?? []
  const thumbs = (count: number, mine: boolean) => ({ __typename: 'Reaction' as const, emoji: '👍', count, mine })
  const heart = { __typename: 'Reaction' as const, emoji: '❤️', count: 1, mine: false }

  it('is replaced by id in the list, which keeps one entry per seq', () => {
    const c = cache()
    write(c, [message(1), message(2)])
    write(c, [{ ...message(2, 'edited'), version: 3, editedAt: '2026-11-25T10:05:00+00:00' }])

    expect(read(c).map((m) => [m.seq, m.message, m.version, m.editedAt !== null])).toEqual([
      [1, 'message 1', 1, false],
      [2, 'edited', 3, true],
    ])
  })

  it('loses its reactions one by one, and its sentiment once deleted, without a warning', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const c = cache()
    write(c, [{ ...message(1), version: 2, reactions: [thumbs(2, true), heart] }])
    write(c, [{ ...message(1), version: 3, reactions: [thumbs(1, false)] }])
    expect(read(c)[0]!.reactions).toEqual([thumbs(1, false)])

    const at = '2026-11-25T10:06:00+00:00'
    write(c, [{ ...message(1, ''), version: 4, reactions: [], sentiment: null, deletedAt: at }])
    expect(read(c)[0]).toMatchObject({ message: '', sentiment: null, reactions: [], deletedAt: at })
    expect(warn).not.toHaveBeenCalled()
  })
})
