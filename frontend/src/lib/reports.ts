// Reporting a message, and what moderators do with a report (issue 23).
import type { ModerationAction, ReportReason } from '../generated/graphql'

/** The server's bound on a report's note, in code points. */
export const MAX_NOTE_CHARS = 500

/** The reasons a reader may give, in the order offered. */
export const REPORT_REASONS: readonly { value: ReportReason; label: string }[] = [
  { value: 'SPAM', label: 'Spam' },
  { value: 'HARASSMENT', label: 'Harassment' },
  { value: 'HATE', label: 'Hate' },
  { value: 'OTHER', label: 'Other' },
]

/** What a moderator may do with a report; `confirm`: asked again first (it cannot be undone here). */
export const MODERATION_ACTIONS: readonly { value: ModerationAction; label: string; confirm: string | null }[] = [
  { value: 'DISMISS', label: 'Dismiss', confirm: null },
  { value: 'DELETE_MESSAGE', label: 'Delete message', confirm: 'Delete this message for both members?' },
  { value: 'SUSPEND_SENDER', label: 'Suspend sender', confirm: 'Suspend the sender? They are signed out at once.' },
]

/** What the reader sees after the server took the report. */
export const REPORTED = 'Reported'

export function reasonLabel(reason: ReportReason): string {
  return REPORT_REASONS.find((choice) => choice.value === reason)?.label ?? reason
}

/** Characters left in a note (negative: over by that many). */
export function noteLeft(note: string): number {
  return MAX_NOTE_CHARS - [...note].length
}

/** The note's counter shows (and is announced) from this few characters left. */
export const NOTE_COUNT_FROM = 50

/** What the note's counter says: nothing until the note nears the bound. */
export function noteCount(note: string): string | null {
  const left = noteLeft(note)
  if (left >= NOTE_COUNT_FROM) return null
  return noteProblem(note) ?? `${left} of ${MAX_NOTE_CHARS} characters left`
}

/** Why a note cannot be sent, in words; null if it can (it is optional). */
export function noteProblem(note: string): string | null {
  const over = -noteLeft(note)
  return over > 0 ? `Too long by ${over} character${over === 1 ? '' : 's'}.` : null
}

/** reportMessage's variables: a blank note is no note. */
export function reportVariables(
  id: string,
  reason: ReportReason,
  note: string,
): { id: string; reason: ReportReason; note: string | null } {
  const trimmed = note.trim()
  return { id, reason, note: trimmed ? trimmed : null }
}
