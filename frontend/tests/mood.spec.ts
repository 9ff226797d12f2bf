import { describe, expect, it } from 'vitest'

import { hasMood, moodSeries, moodText, trendText, type ChatMoodView, type UserMoodView } from '../src/lib/mood'

const alice = { id: '1', username: 'alice' }
const bob = { id: '2', username: 'bob' }

function part(user: typeof alice, score: number | null, messages = 1): UserMoodView {
  return { user, score, messages }
}

function mood(changes: Partial<ChatMoodView> = {}): ChatMoodView {
  return {
    score: 0.5,
    label: 'POSITIVE',
    emoji: '\u{1F600}',
    trend: 0,
    byUser: [part(alice, 0.4), part(bob, 0.6)],
    ...changes,
  }
}

describe('the mood in words', () => {
  it.each([
    [0.06, 'getting warmer'],
    [0.05, 'steady'],
    [0, 'steady'],
    [-0.05, 'steady'],
    [-0.06, 'cooling down'],
  ])('calls a trend of %s %s', (trend, words) => {
    expect(trendText(trend)).toBe(words)
  })

  it('says the label and the trend', () => {
    expect(moodText(mood({ trend: 0.2 }), alice.id)).toBe('Mostly positive, getting warmer.')
    expect(moodText(mood({ label: 'NEGATIVE', trend: -0.3 }), alice.id)).toBe('Mostly negative, cooling down.')
    expect(moodText(mood({ label: 'NEUTRAL' }), alice.id)).toBe('Mostly neutral, steady.')
  })

  it('says whose mood is private, never the viewer', () => {
    const hidden = mood({ byUser: [part(alice, 0.4), part(bob, null)] })
    expect(moodText(hidden, alice.id)).toBe("Mostly positive, steady. bob's mood is private.")
  })

  it('has no mood before anyone writes', () => {
    expect(hasMood(mood({ byUser: [part(alice, 0, 0), part(bob, 0, 0)] }))).toBe(false)
    expect(hasMood(mood({ byUser: [part(alice, 0, 0), part(bob, null, 3)] }))).toBe(true)
  })
})

describe('the mood history as lines', () => {
  it('gives each person a line, the viewer first, with gaps where they wrote nothing', () => {
    const history = [
      { byUser: [part(bob, 0.5), part(alice, 0, 0)] },
      { byUser: [part(bob, -0.2), part(alice, 0.3, 2)] },
    ]
    expect(moodSeries(history, alice.id)).toEqual([
      { key: '1', name: 'alice', mine: true, values: [null, 0.3] },
      { key: '2', name: 'bob', mine: false, values: [0.5, -0.2] },
    ])
  })

  it('draws no line for a person whose mood is private', () => {
    const history = [{ byUser: [part(alice, 0.1), part(bob, null, 4)] }]
    expect(moodSeries(history, alice.id).map((line) => line.name)).toEqual(['alice'])
  })

  it('draws nothing for an empty chat', () => {
    expect(moodSeries([], alice.id)).toEqual([])
  })
})
