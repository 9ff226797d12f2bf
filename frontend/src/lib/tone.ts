// The composer's gentle tone check: a draft the analyzer is fairly sure reads
// as negative is flagged, with the words that pushed it there. It is advice:
// nothing here ever stops a send.
import type { SentimentView } from './sentiment'

/** Below this confidence a NEGATIVE draft is not flagged. */
export const HINT_CONFIDENCE = 0.6

export interface ToneHint {
  /** What pushed the draft towards NEGATIVE, strongest first (may be empty). */
  reasons: string[]
}

export function toneHint(sentiment: SentimentView | null): ToneHint | null {
  if (!sentiment || sentiment.label !== 'NEGATIVE' || sentiment.confidence < HINT_CONFIDENCE) return null
  return { reasons: sentiment.reasons.filter((reason) => reason.weight < 0).map((reason) => reason.text) }
}

/** The hint in words: "may read as negative: hate, awful". */
export function toneHintText(hint: ToneHint): string {
  return 'may read as negative' + (hint.reasons.length ? ': ' + hint.reasons.join(', ') : '')
}
