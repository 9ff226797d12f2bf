// What a reader may do to a message (edit and delete their own, react to
// any, report one they received), and the few rules the client checks
// before asking the server.
import type { ReportReason } from '../generated/graphql'


/** The server's bound on a message's text, in code points (sendMessage's, and editMessage's). */
export const MAX_MESSAGE_CHARS = 4000

/**
 * The emoji offered in the picker, fully qualified as the server answers
 * them (a heart is U+2764 U+FE0F), so that a chip and its picker button
 * agree on which is ours. Their names are for screen readers.
 */
export const QUICK_REACTIONS: readonly { emoji: string; name: string }[] = [
  { emoji: '\u{1F44D}', name: 'thumbs up' },
  { emoji: '\u2764\uFE0F', name: 'heart' },
  { emoji: '\u{1F602}', name: 'laughing' },
  { emoji: '\u{1F62E}', name: 'surprised' },
  { emoji: '\u{1F622}', name: 'sad' },
  { emoji: '\u{1F64F}', name: 'thanks' },
]

export type MessageAction = 'react' | 'edit' | 'delete' | 'report'

/** What the pane lets a message do; each answers once the server has. */
export interface MessageActions {
  edit(id: string, text: string): Promise<void>
  remove(id: string): Promise<void>
  react(id: string, emoji: string, on: boolean): Promise<void>
  /** Report a received message to the moderators; `note` may be empty. */
  report(id: string, reason: ReportReason, note: string): Promise<void>
}

/**
 * The actions a message's menu offers: reacting to any message, editing and
 * deleting one's own, reporting one received; nothing once it is deleted
 * (the server refuses them all on a tombstone). The destructive one comes last.
 */
export function actionsFor(message: { deletedAt: string | null }, mine: boolean): MessageAction[] {
  if (message.deletedAt !== null) return []
  return mine ? ['react', 'edit', 'delete'] : ['react', 'report']
}

/** Whether the reader is among those who put `emoji` on the message. */
export function reactedWith(reactions: readonly { emoji: string; mine: boolean }[], emoji: string): boolean {
  return reactions.some((reaction) => reaction.emoji === emoji && reaction.mine)
}

/**
 * Why an edited text cannot be saved, in words; null if it can. The same
 * text is not a problem: saving it just closes the editor.
 */
export function editProblem(draft: string): string | null {
  if (!draft.trim()) return 'A message cannot be empty: delete it instead.'
  const over = [...draft].length - MAX_MESSAGE_CHARS
  if (over > 0) return `Too long by ${over} character${over === 1 ? '' : 's'}.`
  return null
}
