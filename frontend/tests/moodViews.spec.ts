import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import ChatMood from '../src/components/ChatMood.vue'
import MessageComposer from '../src/components/MessageComposer.vue'
import type { ChatMoodView, MoodPointView } from '../src/lib/mood'
import { PREVIEW_DELAY_MS } from '../src/lib/draftPreview'
import type { SentimentView } from '../src/lib/sentiment'

const alice = { id: '1', username: 'alice' }
const bob = { id: '2', username: 'bob' }

describe('the chat header mood', () => {
  const mood: ChatMoodView = {
    score: 0.45,
    label: 'POSITIVE',
    emoji: '\u{1F600}',
    trend: 0.2,
    byUser: [
      { user: alice, score: 0.5, messages: 2 },
      { user: bob, score: null, messages: 3 },
    ],
  }
  const history: MoodPointView[] = [
    { byUser: [{ user: alice, score: 0.3, messages: 1 }, { user: bob, score: null, messages: 2 }] },
    { byUser: [{ user: alice, score: 0.7, messages: 1 }, { user: bob, score: null, messages: 1 }] },
  ]

  it('shows the emoji and a line for each person who shares, named in words', () => {
    const wrapper = mount(ChatMood, { props: { mood, history, meId: alice.id } })
    const text = "Mostly positive, getting warmer. bob's mood is private."
    expect(wrapper.get('.chat-mood-emoji').text()).toBe('\u{1F600}')
    expect(wrapper.get('svg').attributes('aria-label')).toBe(text)
    expect(wrapper.get('[data-testid="chat-mood"]').attributes('title')).toBe(text)
    const lines = wrapper.findAll('[data-testid="sparkline-series"]')
    expect(lines.map((line) => line.attributes('data-person'))).toEqual(['alice'])
  })

  it('shows nothing before anyone has written', () => {
    const quiet = { ...mood, byUser: mood.byUser.map((part) => ({ ...part, messages: 0 })) }
    const wrapper = mount(ChatMood, { props: { mood: quiet, history: [], meId: alice.id } })
    expect(wrapper.find('[data-testid="chat-mood"]').exists()).toBe(false)
  })
})

describe('the composer’s tone check', () => {
  const harsh: SentimentView = {
    polarity: -0.8,
    subjectivity: 1,
    label: 'NEGATIVE',
    emoji: '\u{1F61F}',
    score: -0.95,
    confidence: 0.97,
    reasons: [
      { text: 'hate', weight: -2.5 },
      { text: 'awful', weight: -2 },
      { text: 'this', weight: 0.1 },
    ],
  }
  const kind: SentimentView = { ...harsh, label: 'POSITIVE', emoji: '\u{1F600}', score: 0.9, reasons: [] }
  let asked: string[]

  beforeEach(() => {
    vi.useFakeTimers()
    asked = []
  })
  afterEach(() => vi.useRealTimers())

  function composer() {
    const preview = async (text: string) => {
      asked.push(text)
      return text.includes('hate') ? harsh : kind
    }
    return mount(MessageComposer, { props: { disabled: false, preview } })
  }

  async function pause() {
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS)
    await flushPromises()
  }

  it('flags a harsh draft with the words that made it so, politely, after a pause', async () => {
    const wrapper = composer()
    await wrapper.get('textarea').setValue('I hate this, it is awful')
    const hint = wrapper.get('[data-testid="tone-hint"]')
    expect(hint.attributes('role')).toBe('status')
    expect(hint.attributes('aria-live')).toBe('polite')
    expect(hint.text()).toBe('')
    await pause()
    expect(hint.text()).toBe('may read as negative: hate, awful')
    expect(hint.findAll('em').map((em) => em.text())).toEqual(['hate', 'awful'])
    expect(wrapper.get('[data-testid="draft-mood"]').attributes('data-label')).toBe('NEGATIVE')
  })

  it('takes the flag away for a kind draft, and shows its mood', async () => {
    const wrapper = composer()
    await wrapper.get('textarea').setValue('I hate this')
    await pause()
    await wrapper.get('textarea').setValue('thank you, this is lovely')
    await pause()
    expect(wrapper.get('[data-testid="tone-hint"]').text()).toBe('')
    expect(wrapper.get('[data-testid="draft-mood"]').text()).toBe('\u{1F600}')
    expect(asked).toEqual(['I hate this', 'thank you, this is lovely'])
  })

  it('never stops a send, and shows nothing once the draft is empty', async () => {
    const wrapper = composer()
    await wrapper.get('textarea').setValue('I hate this')
    await pause()
    expect(wrapper.get('button[type="submit"]').attributes('disabled')).toBeUndefined()
    await wrapper.get('form').trigger('submit')
    expect(wrapper.emitted('send')).toEqual([['I hate this']])
    expect(wrapper.get('[data-testid="tone-hint"]').text()).toBe('')
    expect(wrapper.find('[data-testid="draft-mood"]').exists()).toBe(false)
  })
})
