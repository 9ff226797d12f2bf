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
