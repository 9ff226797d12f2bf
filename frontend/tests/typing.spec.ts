import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { TYPING_RENEW_MS, TypingAnnouncer } from '../src/lib/typing'

describe('announcing typing', () => {
  let calls: [string, boolean][]
  let typist: TypingAnnouncer

  beforeEach(() => {
    vi.useFakeTimers()
    calls = []
    typist = new TypingAnnouncer((channel, typing) => calls.push([channel, typing]))
  })
  afterEach(() => vi.useRealTimers())

  /** Keystrokes every `everyMs` for `forMs`. */
  function type(channel: string, forMs: number, everyMs = 150) {
    for (let t = 0; t < forMs; t += everyMs) {
      typist.typed(channel)
      vi.advanceTimersByTime(everyMs)
    }
  }

  it('says true on the first keystroke, not on each one', () => {
    type('a', 2_000)
    expect(calls).toEqual([['a', true]])
  })

  it('renews true every 2.5 s while the keystrokes go on', () => {
    type('a', 6_000)
    expect(calls).toEqual([
      ['a', true],
      ['a', true],
      ['a', true],
    ])
    expect(TYPING_RENEW_MS).toBeLessThan(5_000) // the server lets a true lapse after 5 s
  })

  it('renews nothing while the user pauses', () => {
    type('a', 300)
    vi.advanceTimersByTime(10_000)
    expect(calls).toEqual([['a', true]])
    typist.typed('a') // back at it: the server's true has lapsed
    expect(calls).toEqual([
      ['a', true],
      ['a', true],
    ])
  })

  it('says false once when done, and only after a true', () => {
    typist.stop()
    type('a', 300)
    typist.stop()
    typist.stop()
    expect(calls).toEqual([
      ['a', true],
      ['a', false],
    ])
    typist.typed('a') // a new message: announced at once
    expect(calls.at(-1)).toEqual(['a', true])
  })

  it('takes back the true of the chat left when typing in another', () => {
    type('a', 300)
    typist.typed('b')
    expect(calls).toEqual([
      ['a', true],
      ['a', false],
      ['b', true],
    ])
  })
})
