// Values the unit tests share, where what they hold does not matter.
import type { MessageFieldsFragment } from '../src/generated/graphql'

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
