// How a draft would be scored, asked for as the user pauses: a draft is sent
// once it has stood still for the delay; at most one call is in flight, and
// drafts that stood still meanwhile wait for it, only the latest going next.
// An answer is shown only while its text is still the draft.

/** How long a draft stands still before it is scored. */
export const PREVIEW_DELAY_MS = 400

export class DraftPreview<R> {
  private draft = ''
  /** Stood still while a call was in flight: sent when it is done. */
  private queued: string | null = null
  private timer: ReturnType<typeof setTimeout> | undefined
  private inFlight = false
  private stopped = false

  /**
   * `fetch` scores a text; `show` gets the answer for the draft, or null
   * when there is nothing to show (an empty draft, a failed call).
   */
  constructor(
    private readonly fetch: (text: string) => Promise<R>,
    private readonly show: (result: R | null) => void,
    private readonly delayMs = PREVIEW_DELAY_MS,
  ) {}

  /** The draft is now `text`. */
  update(text: string): void {
    if (this.stopped || text === this.draft) return
    this.draft = text
    clearTimeout(this.timer)
    this.timer = undefined
    this.queued = null
    if (!text.trim()) return this.show(null)
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.inFlight) this.queued = text
      else void this.call(text)
    }, this.delayMs)
  }

  /** Ask nothing more (the composer is gone); a call in flight is ignored. */
  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private async call(text: string): Promise<void> {
    this.inFlight = true
    let result: R | null = null
    try {
      result = await this.fetch(text)
    } catch {
      // Advice only: a refused or failed preview shows nothing.
    } finally {
      this.inFlight = false
    }
    if (this.stopped) return
    if (text === this.draft) this.show(result)
    const next = this.queued
    this.queued = null
    if (next !== null) void this.call(next)
  }
}
