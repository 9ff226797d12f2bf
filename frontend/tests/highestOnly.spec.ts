import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { HighestOnly } from '../src/lib/highestOnly'

const DELAY = 300

describe('sending only the highest value', () => {
  let sent: number[]
  let gate: Promise<void>
  let fail: unknown
  let retryIn: number | null
  let marker: HighestOnly

  beforeEach(() => {
    vi.useFakeTimers()
    sent = []
    gate = Promise.resolve()
    fail = undefined
    retryIn = 1_000
    marker = new HighestOnly(
      async (value) => {
        sent.push(value)
        await gate
        if (fail) throw fail
      },
      { delayMs: DELAY, retryAfterMs: () => retryIn },
    )
  })
  afterEach(() => vi.useRealTimers())

  it('coalesces a burst into one call for its highest', async () => {
    marker.offer(3)
    marker.offer(7)
    marker.offer(5)
    await vi.advanceTimersByTimeAsync(DELAY - 1)
    expect(sent).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(sent).toEqual([7])
  })

  it('ignores values not above what was asked for', async () => {
    marker.offer(7)
    await vi.advanceTimersByTimeAsync(DELAY)
    marker.offer(7)
    marker.offer(2)
    await vi.advanceTimersByTimeAsync(DELAY * 3)
    expect(sent).toEqual([7])
  })

  it('keeps one call in flight; what came meanwhile goes next, as one', async () => {
    let release!: () => void
    gate = new Promise((resolve) => (release = resolve))
    marker.offer(1)
    await vi.advanceTimersByTimeAsync(DELAY)
    marker.offer(2)
    marker.offer(3)
    await vi.advanceTimersByTimeAsync(DELAY * 5)
    expect(sent).toEqual([1])

    gate = Promise.resolve()
    release()
    await vi.advanceTimersByTimeAsync(DELAY)
    expect(sent).toEqual([1, 3])
  })

  it('tries a failed value again when told to', async () => {
    fail = new Error('offline')
    marker.offer(4)
    await vi.advanceTimersByTimeAsync(DELAY)
    fail = undefined
    await vi.advanceTimersByTimeAsync(999)
    expect(sent).toEqual([4])
    await vi.advanceTimersByTimeAsync(1)
    expect(sent).toEqual([4, 4])
  })

  it('gives a refused value up, and takes it when offered again', async () => {
    fail = new Error('refused')
    retryIn = null
    marker.offer(4)
    await vi.advanceTimersByTimeAsync(DELAY * 10)
    expect(sent).toEqual([4])

    fail = undefined
    marker.offer(4)
    await vi.advanceTimersByTimeAsync(DELAY)
    expect(sent).toEqual([4, 4])
  })

  it('sends nothing once stopped', async () => {
    marker.offer(4)
    marker.stop()
    marker.offer(5)
    await vi.advanceTimersByTimeAsync(DELAY * 10)
    expect(sent).toEqual([])
  })
})
