// Blocking a person (issue 23): while the reader blocks someone, neither can
// reach the other; the list of people still shows them, marked, so that
// they can be unblocked.

export interface Blockable {
  id: string
  /** Whether the reader blocks this user (the server's User.blockedByMe). */
  blockedByMe: boolean
}

/** What a chat with someone the reader blocks shows instead of the composer. */
export const BLOCKED_NOTICE = 'You blocked this person'

/** The list with one user's blockedByMe as given (a new list; nothing else changes). */
export function withBlockedByMe<T extends Blockable>(users: readonly T[], id: string, blocked: boolean): T[] {
  return users.map((user) => (user.id === id && user.blockedByMe !== blocked ? { ...user, blockedByMe: blocked } : user))
}

/**
 * The blocks and unblocks the reader made, in the order the server answered
 * them. The list of people is read again now and then: an answer to a
 * question asked before a change must not undo it.
 */
export class BlockChanges {
  private made = 0
  private readonly latest = new Map<string, { at: number; blocked: boolean }>()

  /** Where the changes are now: give it to `settle` with the answer of a question asked now. */
  mark(): number {
    return this.made
  }

  /** The server answered a block (true) or an unblock (false) of `id`. */
  note(id: string, blocked: boolean): void {
    this.made += 1
    this.latest.set(id, { at: this.made, blocked })
  }

  /**
   * A list read from a question asked at `mark`, with what changed since put
   * back; an entry that needed it is a new object, the others are the same.
   */
  settle<T extends Blockable>(users: readonly T[], mark: number): T[] {
    return users.map((user) => {
      const change = this.latest.get(user.id)
      if (!change || change.at <= mark || change.blocked === user.blockedByMe) return user
      return { ...user, blockedByMe: change.blocked }
    })
  }
}
