import { describe, expect, it } from 'vitest'

import type { SentimentView } from '../src/lib/sentiment'
import { toneHint, toneHintText } from '../src/lib/tone'

function draft(changes: Partial<SentimentView>): SentimentView {
  return {
    polarity: -0.8,
    subjectivity: 0.9,
    label: 'NEGATIVE',
    emoji: '\u{1F61F}',
    score: -0.9,
    confidence: 0.93,
    reasons: [
      { text: 'hate', weight: -2.4 },
      { text: 'thanks', weight: 0.3 },
      { text: 'awful', weight: -1.9 },
    ],
    ...changes,
  }
}

describe('the tone hint', () => {
  it('names what pushed a surely negative draft there, strongest first', () => {
    const hint = toneHint(draft({}))
    expect(hint).toEqual({ reasons: ['hate', 'awful'] })
    expect(toneHintText(hint!)).toBe('may read as negative: hate, awful')
  })

  it('is given from a confidence of 0.6', () => {
    expect(toneHint(draft({ confidence: 0.6 }))).not.toBeNull()
    expect(toneHint(draft({ confidence: 0.59 }))).toBeNull()
  })

  it('is not given for a draft that is not negative, or for none', () => {
    expect(toneHint(draft({ label: 'NEUTRAL' }))).toBeNull()
    expect(toneHint(draft({ label: 'POSITIVE', confidence: 0.99 }))).toBeNull()
    expect(toneHint(null)).toBeNull()
  })

  it('says only that it may read as negative when no word stands out', () => {
    const hint = toneHint(draft({ reasons: [] }))!
    expect(toneHintText(hint)).toBe('may read as negative')
  })
})
