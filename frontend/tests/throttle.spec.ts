import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { Throttle } from '../src/lib/throttle'

describe('a throttle', () => {
  let runs: number
  let throttle: Throttle

  beforeEach(() => {
    vi.useFakeTimers()
    runs = 0
    throttle = new Throttle(() => (runs += 1), 1_000)
  })
  afterEach(() => vi.useRealTimers())

  it('runs the first request at once', () => {
    throttle.request()
    expect(runs).toBe(1)
  })

  it('runs a burst within the interval once more, at its end', () => {
    throttle.request()
    vi.advanceTimersByTime(200)
    throttle.request()
    throttle.request()
    vi.advanceTimersByTime(799)
    expect(runs).toBe(1)
    vi.advanceTimersByTime(1)
    expect(runs).toBe(2)
    vi.advanceTimersByTime(5_000)
    expect(runs).toBe(2)
  })

  it('runs at once again after a quiet interval', () => {
    throttle.request()
    vi.advanceTimersByTime(1_500)
    throttle.request()
    expect(runs).toBe(2)
  })

  it('runs at once when told to, and counts the interval from then', () => {
    throttle.request()
    throttle.request()
    vi.advanceTimersByTime(500)
    throttle.now()
    expect(runs).toBe(2)
    vi.advanceTimersByTime(999)
    throttle.request()
    expect(runs).toBe(2)
    vi.advanceTimersByTime(1)
    expect(runs).toBe(3)
  })

  it('runs nothing pending once stopped', () => {
    throttle.request()
    throttle.request()
    throttle.stop()
    vi.advanceTimersByTime(5_000)
    expect(runs).toBe(1)
  })
})
