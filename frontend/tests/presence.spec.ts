import { describe, expect, it } from 'vitest'

import { lastSeenText, presenceText } from '../src/lib/presence'

const NOW = Date.parse('2026-12-06T12:00:00Z')
const ago = (ms: number) => new Date(NOW - ms).toISOString()
const MINUTE = 60_000

describe('last seen', () => {
  it.each([
    [0, 'last seen just now'],
    [59_000, 'last seen just now'],
    [MINUTE, 'last seen 1 min ago'],
    [5 * MINUTE + 30_000, 'last seen 5 min ago'],
    [59 * MINUTE, 'last seen 59 min ago'],
    [60 * MINUTE, 'last seen 1 hour ago'],
    [23 * 60 * MINUTE, 'last seen 23 hours ago'],
    [24 * 60 * MINUTE, 'last seen 1 day ago'],
    [3 * 24 * 60 * MINUTE, 'last seen 3 days ago'],
  ])('%i ms ago reads "%s"', (ms, text) => {
    expect(lastSeenText(ago(ms), NOW)).toBe(text)
  })

  it('reads "just now" from a clock a little ahead', () => {
    expect(lastSeenText(ago(-5_000), NOW)).toBe('last seen just now')
  })

  it("reads the server's timestamps, microseconds and offset", () => {
    expect(lastSeenText('2026-12-06T11:54:30.123456+00:00', NOW)).toBe('last seen 5 min ago')
  })
})

describe('presence in words', () => {
  it('says online, when last seen, or nothing', () => {
    expect(presenceText({ online: true, lastSeenAt: ago(0) }, NOW)).toBe('online')
    expect(presenceText({ online: false, lastSeenAt: ago(5 * MINUTE) }, NOW)).toBe('last seen 5 min ago')
    expect(presenceText({ online: false, lastSeenAt: null }, NOW)).toBeNull()
    expect(presenceText({ online: false, lastSeenAt: 'yesterday' }, NOW)).toBeNull()
    expect(presenceText(undefined, NOW)).toBeNull() // no chat shared: not ours to know
  })
})
