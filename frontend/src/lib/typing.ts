// Telling the other member that the user is typing, without a request per
// keystroke: `true` once, renewed while the keystrokes go on (the server lets
// a `true` lapse after about 5 s), `false` once the user is done.

/** How often a `true` is renewed while the user keeps typing: well within the server's 5 s. */
export const TYPING_RENEW_MS = 2_500

export type Announce = (channel: string, typing: boolean) => void

export class TypingAnnouncer {
  /** Where `true` was announced and not yet taken back. */
  private channel: string | null = null
  private announcedAt = 0

  constructor(
    private readonly announce: Announce,
    private readonly now: () => number = Date.now,
    private readonly renewMs = TYPING_RENEW_MS,
  ) {}

  /** The user typed in the composer of `channel`, and it is not empty. */
  typed(channel: string): void {
    if (this.channel !== null && this.channel !== channel) this.stop()
    const now = this.now()
    if (this.channel === channel && now - this.announcedAt < this.renewMs) return
    this.channel = channel
    this.announcedAt = now
    this.announce(channel, true)
  }

  /** The user is done: sent, emptied the composer, or left the chat. */
  stop(): void {
    if (this.channel === null) return
    const channel = this.channel
    this.channel = null
    this.announce(channel, false)
  }
}
