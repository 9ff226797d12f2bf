// How a chat's messages live in Apollo's cache: one list per channel, one
// entry per seq, ascending, whichever way a message arrived (a history page,
// the live subscription, the sender's own mutation result).
import type { FieldPolicy, Reference } from '@apollo/client/core'

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
