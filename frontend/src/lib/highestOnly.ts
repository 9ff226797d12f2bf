// Calls that only the newest value matters for (a read position): sent at
// most one at a time, after a short wait that lets the values of a burst
// coalesce into one call for the highest.

export interface HighestOnlyOptions {
  /** How long a value waits for higher ones before it is sent. */
  delayMs: number
  /** When to try again after `send` failed (ms), or null to give that value up. */
  retryAfterMs: (error: unknown, failures: number) => number | null
}

export class HighestOnly {
  private wanted = 0
  private sent = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private inFlight = false
  private failures = 0
  private stopped = false

  constructor(
    private readonly send: (value: number) => Promise<void>,
    private readonly options: HighestOnlyOptions,
  ) {}

  /** Ask for `value` to be sent; lower than one already asked for, it changes nothing. */
  offer(value: number): void {
    if (this.stopped || value <= this.wanted) return
    this.wanted = value
    this.schedule(this.options.delayMs)
  }

  /** Send nothing more (sign-out); a call in flight is left to finish. */
  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.inFlight || this.stopped) return
    this.timer = setTimeout(() => void this.flush(), delayMs)
  }

  private async flush(): Promise<void> {
    this.timer = undefined
    const value = this.wanted
    if (value <= this.sent || this.stopped) return
    this.inFlight = true
    let retryIn: number | null = null
    try {
      await this.send(value)
      this.sent = Math.max(this.sent, value)
      this.failures = 0
    } catch (error) {
      this.failures += 1
      retryIn = this.options.retryAfterMs(error, this.failures)
      // Given up: a later offer of the same value may try again.
      if (retryIn === null && this.wanted === value) this.wanted = this.sent
    } finally {
      this.inFlight = false
    }
    if (this.wanted > this.sent) this.schedule(retryIn ?? this.options.delayMs)
  }
}
