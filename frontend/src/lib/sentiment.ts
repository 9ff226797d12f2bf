// How a message's mood is shown: the server's emoji beside it, and its
// scores in words on hover and for screen readers.
import type { SentimentLabel } from '../generated/graphql'

export interface SentimentView {
  polarity: number
  subjectivity: number
  label: SentimentLabel
  emoji: string
}

export interface SentimentDisplay {
  emoji: string
  /** Shown on hover: "Polarity +0.80 (positive) · subjectivity 0.75". */
  title: string
  /** Read by screen readers instead of the emoji. */
  ariaLabel: string
}

const WORDS: Record<SentimentLabel, string> = {
  POSITIVE: 'positive',
  NEUTRAL: 'neutral',
  NEGATIVE: 'negative',
}

// Used only if a server ever sent an empty emoji; the label is authoritative.
const FALLBACK_EMOJI: Record<SentimentLabel, string> = {
  POSITIVE: '\u{1F600}',
  NEUTRAL: '\u{1F610}',
  NEGATIVE: '\u{1F61F}',
}

/** A signed score with two decimals; never "-0.00". */
export function formatPolarity(polarity: number): string {
  const rounded = Math.round(polarity * 100) / 100
  if (rounded === 0) return '0.00'
  return (rounded > 0 ? '+' : '\u2212') + Math.abs(rounded).toFixed(2)
}

export function describeSentiment(sentiment: SentimentView): SentimentDisplay {
  const words = WORDS[sentiment.label]
  const polarity = formatPolarity(sentiment.polarity)
  const subjectivity = sentiment.subjectivity.toFixed(2)
  return {
    emoji: sentiment.emoji || FALLBACK_EMOJI[sentiment.label],
    title: `Polarity ${polarity} (${words}) \u00b7 subjectivity ${subjectivity}`,
    ariaLabel: `Mood: ${words}, polarity ${polarity}`,
  }
}
