import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import MessageItem from '../src/components/MessageItem.vue'
import type { MessageFieldsFragment } from '../src/generated/graphql'
import { describeSentiment, formatPolarity } from '../src/lib/sentiment'

const happy = { polarity: 0.8, subjectivity: 0.75, label: 'POSITIVE', emoji: '\u{1F600}' } as const
const neutral = { polarity: 0, subjectivity: 0, label: 'NEUTRAL', emoji: '\u{1F610}' } as const
const sad = { polarity: -0.65, subjectivity: 0.9, label: 'NEGATIVE', emoji: '\u{1F61F}' } as const

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

describe('describeSentiment', () => {
  it('shows the emoji the server chose, and the scores in words on hover', () => {
    expect(describeSentiment(happy)).toEqual({
      emoji: '\u{1F600}',
      title: 'Polarity +0.80 (positive) \u00b7 subjectivity 0.75',
      ariaLabel: 'Mood: positive, polarity +0.80',
    })
    expect(describeSentiment(neutral).title).toBe('Polarity 0.00 (neutral) \u00b7 subjectivity 0.00')
    expect(describeSentiment(sad).ariaLabel).toBe('Mood: negative, polarity \u22120.65')
  })

  it('falls back to the emoji of the label when the server sent none', () => {
    expect(describeSentiment({ ...sad, emoji: '' }).emoji).toBe('\u{1F61F}')
    expect(describeSentiment({ ...neutral, emoji: '' }).emoji).toBe('\u{1F610}')
  })
})

function message(sentiment: Omit<MessageFieldsFragment['sentiment'], '__typename'>): MessageFieldsFragment {
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
    sentiment: { __typename: 'Sentiment', ...sentiment },
  }
}

describe('MessageItem', () => {
  it('puts the emoji beside the text, with the polarity on hover', () => {
    const wrapper = mount(MessageItem, { props: { message: message(happy), mine: false } })

    const mood = wrapper.get('[data-testid="mood"]')
    expect(mood.text()).toBe('\u{1F600}')
    expect(mood.attributes('title')).toBe('Polarity +0.80 (positive) \u00b7 subjectivity 0.75')
    expect(mood.attributes('aria-label')).toBe('Mood: positive, polarity +0.80')
    expect(wrapper.get('.text').text()).toBe('I love this, what a wonderful day!\nReally.')
    expect(wrapper.get('li').attributes('data-seq')).toBe('3')
    expect(wrapper.get('time').attributes('datetime')).toBe('2026-11-25T10:15:00.000Z')
  })

  it('marks the reader own messages', () => {
    const wrapper = mount(MessageItem, { props: { message: message(sad), mine: true } })

    expect(wrapper.get('li').classes()).toContain('mine')
    expect(wrapper.get('[data-testid="mood"]').text()).toBe('\u{1F61F}')
  })
})
