// Values the unit tests share, where what they hold does not matter.
import type { ChatMoodFieldsFragment, MessageFieldsFragment } from '../src/generated/graphql'

/** A stored message's sentiment: neutral, as the server would send it. */
export function neutralSentiment(): MessageFieldsFragment['sentiment'] {
  return {
    __typename: 'Sentiment',
    polarity: 0,
    subjectivity: 0,
    label: 'NEUTRAL',
    emoji: '\u{1F610}',
    score: 0,
    confidence: 0.9,
    reasons: [],
  }
}

/**
 * The change fields of a message as sent and never changed since: its send
 * was its chat's change number `version` (in these tests, its seq).
 */
export function unchanged(
  version: number,
): Pick<MessageFieldsFragment, 'version' | 'editedAt' | 'deletedAt' | 'reactions'> {
  return { version, editedAt: null, deletedAt: null, reactions: [] }
}

type Member = { __typename: 'User'; id: string; username: string }

/** A chat's mood as the server reads it: `score` over what both wrote (none: a quiet chat). */
export function chatMood(viewer: Member, other: Member, score = 0, messages = 0): ChatMoodFieldsFragment {
  const label = score >= 0.2 ? 'POSITIVE' : score <= -0.2 ? 'NEGATIVE' : 'NEUTRAL'
  const emoji = { POSITIVE: '\u{1F600}', NEUTRAL: '\u{1F610}', NEGATIVE: '\u{1F61F}' }[label]
  const part = (user: Member) => ({ __typename: 'UserMood' as const, user, score, messages })
  return { __typename: 'ChatMood', score, label, emoji, trend: 0, byUser: [part(viewer), part(other)] }
}
