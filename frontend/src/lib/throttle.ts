// At most one run per interval: the first request runs at once, those within
// the interval after it coalesce into one run at its end.

export class Throttle {
  private last = Number.NEGATIVE_INFINITY
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly run: () => void,
    private readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  request(): void {
    if (this.timer !== undefined) return
    const wait = this.last + this.intervalMs - this.clock()
    if (wait <= 0) return this.fire()
    this.timer = setTimeout(() => this.fire(), wait)
  }

  /** Run at once, whenever the last run was; what was pending is dropped. */
  now(): void {
    this.stop()
    this.fire()
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private fire(): void {
    this.timer = undefined
    this.last = this.clock()
    this.run()
  }
}
