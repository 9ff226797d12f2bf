// Reconnect bookkeeping: what each live feed holds, so that a dropped socket
// resumes every subscription after the last seq (or version) it holds, and
// the state of the connection as the user sees it.
import type { SubscribePayload } from 'graphql-ws'

/**
 * The highest seq held per channel; or, for a feed in version order
 * (messageChanges), the highest version.
 */
export class ResumePoints {
  private readonly seqs = new Map<string, number>()

  /** Start (or move forward) the point of a channel. */
  start(channel: string, seq: number): void {
    this.seqs.set(channel, Math.max(seq, this.seqs.get(channel) ?? 0))
  }

  /** Record a message; false if it is not newer than what is held (a repeat). */
  note(channel: string, seq: number): boolean {
    const held = this.seqs.get(channel)
    if (held !== undefined && seq <= held) return false
    this.seqs.set(channel, seq)
    return true
  }

  get(channel: string): number | undefined {
    return this.seqs.get(channel)
  }

  forget(channel: string): void {
    this.seqs.delete(channel)
  }
}

export type ResumeFrom = () => number | undefined

/**
 * The payload of a subscription whose resume point (`afterSeq` for
 * newMessage, `afterVersion` for messageChanges) is read each time it is sent.
 *
 * graphql-ws sends the same payload object again on every reconnect; reading
 * the point then, rather than when the subscription started, makes the
 * server replay exactly what was missed while the socket was down.
 */
export function resumablePayload(
  payload: SubscribePayload,
  resumeFrom: ResumeFrom,
  variable = 'afterSeq',
): SubscribePayload {
  const { variables, ...rest } = payload
  return {
    ...rest,
    get variables() {
      const after = resumeFrom()
      return after === undefined ? variables : { ...variables, [variable]: after }
    },
  }
}

export type ConnectionState = 'idle' | 'connecting' | 'online' | 'offline'

export type ConnectionEvent =
  | { type: 'connecting'; retrying: boolean }
  | { type: 'connected' }
  | { type: 'closed' }
  | { type: 'network-lost' }
  | { type: 'stopped' }

/** The connection state after an event of the socket (or of the browser). */
export function nextConnectionState(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  switch (event.type) {
    case 'connecting':
      // A retry means we were cut off: stay offline until it succeeds.
      return event.retrying || state === 'offline' ? 'offline' : 'connecting'
    case 'connected':
      return 'online'
    case 'closed':
    case 'network-lost':
      return state === 'idle' ? 'idle' : 'offline'
    case 'stopped':
      return 'idle'
  }
}

/**
 * How long to wait before reconnect attempt `attempt` (0-based): exponential
 * from half a second, capped at ten, with jitter so that the clients of a
 * restarted server do not all come back in the same instant.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(500 * 2 ** attempt, 10_000)
  return Math.round(ceiling * (0.5 + random() / 2))
}
