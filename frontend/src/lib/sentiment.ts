// How a message's mood is shown: the server's emoji beside it, and in words
// on hover and for screen readers, why the analyzer chose it.
import type { SentimentLabel } from '../generated/graphql'

/** A word, emoji, phrase or rule that moved the score, as the server sends it. */
export interface SentimentReasonView {
  text: string
  /** Above 0 pushes towards POSITIVE, below 0 towards NEGATIVE. */
  weight: number
}

export interface SentimentView {
  /** TextBlob's, kept for the record; not shown. */
  polarity: number
  subjectivity: number
  label: SentimentLabel
  emoji: string
  /** P(positive) - P(negative), -1 to 1. */
  score: number
  /** The probability of `label`, 0 to 1; 0 on messages scored before the analyzer. */
  confidence: number
  /** Strongest first. */
  reasons: readonly SentimentReasonView[]
}

export interface SentimentDisplay {
  emoji: string
  /** Shown on hover: "Positive (97% sure) · love +4.0, not bad +2.0". */
  title: string
  /** Read by screen readers instead of the emoji: "Mood: positive, 97% sure, because of love, not bad". */
  ariaLabel: string
}

/** At most this many reasons are named (the server sends no more either). */
export const MAX_REASONS = 5

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

/** A signed number with `digits` decimals and a true minus sign; never "-0.0". */
function formatSigned(value: number, digits: number): string {
  const scale = 10 ** digits
  const rounded = Math.round(Math.abs(value) * scale) / scale
  const zero = (0).toFixed(digits)
  if (rounded === 0) return zero
  return (value > 0 ? '+' : '\u2212') + rounded.toFixed(digits)
}

/** A signed score with two decimals; never "-0.00". */
export function formatPolarity(polarity: number): string {
  return formatSigned(polarity, 2)
}

/** A reason's weight, signed, with one decimal: "+2.1", "\u22121.7"; never "-0.0". */
export function formatWeight(weight: number): string {
  return formatSigned(weight, 1)
}

/**
 * The confidence as a whole percent ("97%"), or null for messages scored
 * before the analyzer (confidence 0). Never claims 100% unless it is 1, nor
 * 0% unless it is 0.
 */
export function formatConfidence(confidence: number): string | null {
  if (!(confidence > 0)) return null
  const percent = Math.round(confidence * 100)
  const shown = confidence < 1 ? Math.min(Math.max(percent, 1), 99) : 100
  return `${shown}%`
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1)
}

export function describeSentiment(sentiment: SentimentView): SentimentDisplay {
  const word = WORDS[sentiment.label]
  const sure = formatConfidence(sentiment.confidence)
  const reasons = sentiment.reasons.slice(0, MAX_REASONS)

  let title = capitalise(word) + (sure ? ` (${sure} sure)` : '')
  if (reasons.length) {
    title += ' \u00b7 ' + reasons.map((r) => `${r.text} ${formatWeight(r.weight)}`).join(', ')
  }

  let ariaLabel = `Mood: ${word}` + (sure ? `, ${sure} sure` : '')
  if (reasons.length) {
    ariaLabel += ', because of ' + reasons.map((r) => r.text).join(', ')
  }

  return {
    emoji: sentiment.emoji || FALLBACK_EMOJI[sentiment.label],
    title,
    ariaLabel,
  }
}
