// How a chat's messages live in Apollo's cache: one list per channel, one
// entry per seq, ascending, whichever way a message arrived (a history page,
// the live subscriptions, the sender's own mutation result); and one entry
// per message (by id), which every list shows, kept at the newest version.
import type { FieldPolicy, Reference, TypePolicy } from '@apollo/client/core'

/**
 * `existing` and `incoming` merged by seq, ascending, one entry per seq.
 * For a seq in both, the incoming entry wins (it is the newer read). Appending
 * newer messages, the common case, costs no sort.
 */
export function mergeBySeq<T>(
  existing: readonly T[] | undefined,
  incoming: readonly T[],
  seqOf: (item: T) => number,
): T[] {
  const base = existing ?? []
  const last = base.length ? seqOf(base[base.length - 1] as T) : 0
  if (incoming.every((item, i) => seqOf(item) > (i ? seqOf(incoming[i - 1] as T) : last))) {
    return [...base, ...incoming]
  }
  const bySeq = new Map<number, T>()
  for (const item of base) bySeq.set(seqOf(item), item)
  for (const item of incoming) bySeq.set(seqOf(item), item)
  return [...bySeq.entries()].sort(([a], [b]) => a - b).map(([, item]) => item)
}

/**
 * The policy of `Query.messages`: cached per channel whatever the page
 * arguments, so history pages, pushed messages and sent ones share a list.
 */
export const messagesFieldPolicy: FieldPolicy<Reference[]> = {
  keyArgs: ['channel'],
  merge(existing, incoming, { readField }) {
    return mergeBySeq(existing, incoming, (ref) => readField<number>('seq', ref) ?? 0)
  },
}

/**
 * Of two reads of one message, the one to keep: the higher version (each
 * change to a message raises it), the incoming one on a tie. A message is
 * read by several roads in no agreed order (a history page, newMessage,
 * messageChanges, a mutation's answer), and a late read of an older version
 * must not undo a change already shown.
 */
export function newerRead<T extends { version: number }>(existing: T | null | undefined, incoming: T): T {
  return existing && existing.version > incoming.version ? existing : incoming
}

/**
 * The newest read of each message that a feed or a mutation's answer
 * brought, by id. Apollo's cache keeps one entry per message and lets any
 * write replace it; the writes the client makes itself are checked first
 * (newerRead), but a history page is written by Apollo as it lands, and one
 * read before a change and answered after it would bring the old text back.
 * What this holds puts the change back (newerThan).
 */
export class NewestReads<T extends { id: string; version: number }> {
  private readonly byId = new Map<string, T>()

  note(read: T): void {
    const held = this.byId.get(read.id)
    if (!held || read.version >= held.version) this.byId.set(read.id, read)
  }

  /** The read of message `id` newer than `version`, if one was noted. */
  newerThan(id: string, version: number): T | undefined {
    const held = this.byId.get(id)
    return held && held.version > version ? held : undefined
  }
}

/**
 * The policy of `Message`: its reactions and sentiment are replaced whole by
 * a newer read, never merged field by field (a reaction taken off, or the
 * sentiment a deletion erased, must go).
 */
export const messageTypePolicy: TypePolicy = {
  fields: {
    reactions: { merge: false },
    sentiment: { merge: false },
  },
}

/**
 * Whether a message pushed by messageChanges goes into its chat's list:
 * only when it is newer than every message newMessage has delivered (a send
 * the change feed brought first). Any other is a change to a message the list
 * holds (its cache entry is updated, and the list shows it) or to an older one
 * outside the pages loaded, which must not be put in: a lone old message
 * would leave a gap that "load earlier" could never fill.
 */
export function belongsInList(seq: number, newestDelivered: number | undefined): boolean {
  return seq > (newestDelivered ?? 0)
}

/** Seqs have no gaps and start at 1: older history exists iff the oldest held is above 1. */
export function hasOlder(messages: readonly { seq: number }[]): boolean {
  const oldest = messages[0]
  return oldest !== undefined && oldest.seq > 1
}

/**
 * The sender's messages still waiting for the server, without those the
 * server has already confirmed (by the mutation's answer or by the live echo,
 * whichever came first): reconciled by clientId.
 */
export function unconfirmed<P extends { clientId: string }>(
  pending: readonly P[],
  confirmed: readonly { clientId: string | null }[],
): P[] {
  if (!pending.length) return []
  const seen = new Set(confirmed.map((message) => message.clientId))
  return pending.filter((entry) => !seen.has(entry.clientId))
}
