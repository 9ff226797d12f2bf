import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import MessageItem from '../src/components/MessageItem.vue'
import type { MessageFieldsFragment } from '../src/generated/graphql'
import { describeSentiment, formatConfidence, formatPolarity, formatWeight, type SentimentView } from '../src/lib/sentiment'
import { unchanged } from './fixtures'

const happy = {
  polarity: 0.5,
  subjectivity: 0.6,
  label: 'POSITIVE',
  emoji: '\u{1F600}',
  score: 0.96,
  confidence: 0.97,
  reasons: [
    { text: 'love', weight: 4.04 },
    { text: 'not bad', weight: 1.96 },
  ],
} satisfies SentimentView
const neutral = {
  polarity: 0,
  subjectivity: 0,
  label: 'NEUTRAL',
  emoji: '\u{1F610}',
  score: 0.05,
  confidence: 0.8149,
  reasons: [],
} satisfies SentimentView
const sad = {
  polarity: -0.65,
  subjectivity: 0.9,
  label: 'NEGATIVE',
  emoji: '\u{1F61F}',
  score: -0.9,
  confidence: 0.92,
  reasons: [
    { text: 'awful', weight: -1.872 },
    { text: ':(', weight: -0.96 },
    { text: 'thanks', weight: 0.34 },
  ],
} satisfies SentimentView
// Scored before Sentichat's analyzer: TextBlob's label, no confidence nor reasons.
const legacy = {
  polarity: 0.75,
  subjectivity: 0.8,
  label: 'POSITIVE',
  emoji: '\u{1F600}',
  score: 0,
  confidence: 0,
  reasons: [],
} satisfies SentimentView

describe('formatPolarity', () => {
  it.each([
    [0.8, '+0.80'],
    [-0.65, '\u22120.65'],
    [0, '0.00'],
    [-0.001, '0.00'],
    [0.004, '0.00'],
    [1, '+1.00'],
    [-1, '\u22121.00'],
    [0.125, '+0.13'],
  ])('shows %s as %s', (polarity, shown) => {
    expect(formatPolarity(polarity)).toBe(shown)
  })
})

describe('formatWeight', () => {
  it.each([
    [4.04, '+4.0'],
    [2.09, '+2.1'],
    [-1.872, '\u22121.9'],
    [-0.96, '\u22121.0'],
    [0.04, '0.0'],
    [-0.04, '0.0'],
    [0, '0.0'],
    [12.25, '+12.3'],
  ])('shows %s as %s', (weight, shown) => {
    expect(formatWeight(weight)).toBe(shown)
  })
})

describe('formatConfidence', () => {
  it.each([
    [0.97, '97%'],
    [0.6503, '65%'],
    [0.556, '56%'],
    [1, '100%'],
    [0.9979, '99%'],
    [0.001, '1%'],
    [0, null],
  ])('shows %s as %s', (confidence, shown) => {
    expect(formatConfidence(confidence)).toBe(shown)
  })
})

describe('describeSentiment', () => {
  it('shows the emoji the server chose, the label, how sure and why', () => {
    expect(describeSentiment(happy)).toEqual({
      emoji: '\u{1F600}',
      title: 'Positive (97% sure) \u00b7 love +4.0, not bad +2.0',
      ariaLabel: 'Mood: positive, 97% sure, because of love, not bad',
    })
  })

  it('signs weights that push towards negative with a minus sign', () => {
    expect(describeSentiment(sad)).toEqual({
      emoji: '\u{1F61F}',
      title: 'Negative (92% sure) \u00b7 awful \u22121.9, :( \u22121.0, thanks +0.3',
      ariaLabel: 'Mood: negative, 92% sure, because of awful, :(, thanks',
    })
  })

  it('names no reasons when there are none', () => {
    expect(describeSentiment(neutral)).toEqual({
      emoji: '\u{1F610}',
      title: 'Neutral (81% sure)',
      ariaLabel: 'Mood: neutral, 81% sure',
    })
  })

  it('claims no confidence for messages scored before the analyzer', () => {
    expect(describeSentiment(legacy)).toEqual({
      emoji: '\u{1F600}',
      title: 'Positive',
      ariaLabel: 'Mood: positive',
    })
  })

  it('names at most five reasons, in the order the server sent them', () => {
    const reasons = ['a', 'b', 'c', 'd', 'e', 'f'].map((text, i) => ({ text, weight: 3 - i * 0.5 }))
    const shown = describeSentiment({ ...happy, reasons })

    expect(shown.title).toBe('Positive (97% sure) \u00b7 a +3.0, b +2.5, c +2.0, d +1.5, e +1.0')
    expect(shown.ariaLabel).toBe('Mood: positive, 97% sure, because of a, b, c, d, e')
  })

  it('falls back to the emoji of the label when the server sent none', () => {
    expect(describeSentiment({ ...sad, emoji: '' }).emoji).toBe('\u{1F61F}')
    expect(describeSentiment({ ...neutral, emoji: '' }).emoji).toBe('\u{1F610}')
  })
})

function message(sentiment: SentimentView): MessageFieldsFragment {
  const user = (id: string, username: string) => ({ __typename: 'User' as const, id, username })
  return {
    __typename: 'Message',
    id: '7',
    seq: 3,
    channel: 'private-chat_1_2',
    message: 'I love this, what a wonderful day!\nReally.',
    clientId: null,
    createdAt: '2026-11-25T10:15:00+00:00',
    fromUser: user('1', 'alice'),
    toUser: user('2', 'bob'),
    sentiment: {
      __typename: 'Sentiment',
      ...sentiment,
      reasons: sentiment.reasons.map((reason) => ({ __typename: 'SentimentReason', ...reason })),
    },
    ...unchanged(3),
  }
}

describe('MessageItem', () => {
  it('puts the emoji beside the text, with the reasons on hover and in its label', () => {
    const wrapper = mount(MessageItem, { props: { message: message(happy), mine: false } })

    const mood = wrapper.get('[data-testid="mood"]')
    expect(mood.text()).toBe('\u{1F600}')
    expect(mood.attributes('title')).toBe('Positive (97% sure) \u00b7 love +4.0, not bad +2.0')
    expect(mood.attributes('aria-label')).toBe('Mood: positive, 97% sure, because of love, not bad')
    expect(mood.attributes('role')).toBe('img')
    expect(mood.attributes('data-label')).toBe('POSITIVE')
    expect(wrapper.get('.text').text()).toBe('I love this, what a wonderful day!\nReally.')
    expect(wrapper.get('li').attributes('data-seq')).toBe('3')
    expect(wrapper.get('time').attributes('datetime')).toBe('2026-11-25T10:15:00.000Z')
  })

  it('marks the reader own messages', () => {
    const wrapper = mount(MessageItem, { props: { message: message(sad), mine: true } })

    expect(wrapper.get('li').classes()).toContain('mine')
    expect(wrapper.get('[data-testid="mood"]').text()).toBe('\u{1F61F}')
    expect(wrapper.get('[data-testid="mood"]').attributes('aria-label')).toBe(
      'Mood: negative, 92% sure, because of awful, :(, thanks',
    )
  })
})
