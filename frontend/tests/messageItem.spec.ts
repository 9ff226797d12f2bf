import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'

import MessageItem from '../src/components/MessageItem.vue'
import type { MessageFieldsFragment } from '../src/generated/graphql'
import type { MessageActions } from '../src/lib/messageActions'
import { neutralSentiment, unchanged } from './fixtures'

function message(changes: Partial<MessageFieldsFragment> = {}): MessageFieldsFragment {
  const user = (id: string, username: string) => ({ __typename: 'User' as const, id, username })
  return {
    __typename: 'Message',
    id: '7',
    seq: 3,
    channel: 'private-chat_1_2',
    message: 'Hello there',
    clientId: null,
    createdAt: '2026-11-25T10:15:00+00:00',
    fromUser: user('1', 'alice'),
    toUser: user('2', 'bob'),
    sentiment: neutralSentiment(),
    ...unchanged(3),
    ...changes,
  }
}

function actions(): MessageActions & { calls: unknown[][] } {
  const calls: unknown[][] = []
  return {
    calls,
    edit: async (...args) => void calls.push(['edit', ...args]),
    remove: async (...args) => void calls.push(['remove', ...args]),
    react: async (...args) => void calls.push(['react', ...args]),
    report: async (...args) => void calls.push(['report', ...args]),
  }
}

// Focus needs the DOM: mounted into the document, and taken out after each test.
const mounted: { unmount(): void }[] = []
afterEach(() => mounted.splice(0).forEach((wrapper) => wrapper.unmount()))
function show(props: { message: MessageFieldsFragment; mine: boolean; actions?: MessageActions }) {
  const wrapper = mount(MessageItem, { props, attachTo: document.body })
  mounted.push(wrapper)
  return wrapper
}

describe('a message menu', () => {
  it('opens from its button onto the first item; arrows move; Escape closes it and focus goes back', async () => {
    const wrapper = show({ message: message(), mine: true, actions: actions() })
    const button = wrapper.get('button[aria-label="Message actions"]')
    expect(button.attributes('aria-haspopup')).toBe('menu')
    expect(button.attributes('aria-expanded')).toBe('false')

    await button.trigger('click')
    await flushPromises()
    const items = wrapper.findAll('[role="menu"] [role="menuitem"]')
    expect(items.map((item) => item.text())).toEqual(['React…', 'Edit', 'Delete…'])
    expect(button.attributes('aria-expanded')).toBe('true')
    expect(document.activeElement).toBe(items[0]!.element)

    await wrapper.get('[role="menu"]').trigger('keydown', { key: 'ArrowUp' })
    expect(document.activeElement).toBe(items[2]!.element)
    await wrapper.get('[role="menu"]').trigger('keydown', { key: 'Escape' })
    expect(wrapper.find('[role="menu"]').exists()).toBe(false)
    expect(document.activeElement).toBe(button.element)
  })

  it("offers React and Report on the other member's message, and nothing on a deleted one", async () => {
    const wrapper = show({ message: message(), mine: false, actions: actions() })
    await wrapper.get('button[aria-label="Message actions"]').trigger('click')
    expect(wrapper.findAll('[role="menuitem"]').map((item) => item.text())).toEqual(['React…', 'Report…'])

    await wrapper.setProps({ message: message({ deletedAt: '2026-11-25T10:20:00+00:00' }) })
    expect(wrapper.find('button[aria-label="Message actions"]').exists()).toBe(false)
  })
})

describe('editing a message', () => {
  it('opens the text in an editor; Enter saves the new text', async () => {
    const done = actions()
    const wrapper = show({ message: message(), mine: true, actions: done })
    await wrapper.get('button[aria-label="Message actions"]').trigger('click')
    await wrapper.findAll('[role="menuitem"]')[1]!.trigger('click')
    await flushPromises()

    const editor = wrapper.get('textarea[aria-label="Edit message"]')
    expect(document.activeElement).toBe(editor.element)
    await editor.setValue('Hello again')
    await editor.trigger('keydown', { key: 'Enter' })
    await flushPromises()

    expect(done.calls).toEqual([['edit', '7', 'Hello again']])
    expect(wrapper.find('textarea').exists()).toBe(false)
    expect(document.activeElement).toBe(wrapper.get('button[aria-label="Message actions"]').element)
  })

  it('Escape cancels, and nothing is sent', async () => {
    const done = actions()
    const wrapper = show({ message: message(), mine: true, actions: done })
    await wrapper.get('button[aria-label="Message actions"]').trigger('click')
    await wrapper.findAll('[role="menuitem"]')[1]!.trigger('click')
    await wrapper.get('textarea').trigger('keydown', { key: 'Escape' })

    expect(done.calls).toEqual([])
    expect(wrapper.get('.text').text()).toBe('Hello there')
  })

  it('says why it failed and keeps the editor open', async () => {
    const done = actions()
    done.edit = vi.fn().mockRejectedValue(new TypeError('Failed to fetch'))
    const wrapper = show({ message: message(), mine: true, actions: done })
    await wrapper.get('button[aria-label="Message actions"]').trigger('click')
    await wrapper.findAll('[role="menuitem"]')[1]!.trigger('click')
    await wrapper.get('textarea').setValue('Hello again')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(wrapper.get('[role="alert"]').text()).toBe('Something went wrong on our side. Please try again.')
    expect(wrapper.find('textarea').exists()).toBe(true)
  })
})

describe('deleting a message', () => {
  it('asks first, then deletes', async () => {
    const done = actions()
    const wrapper = show({ message: message(), mine: true, actions: done })
    await wrapper.get('button[aria-label="Message actions"]').trigger('click')
    await wrapper.findAll('[role="menuitem"]')[2]!.trigger('click')
    await flushPromises()
    const confirm = wrapper.get('[role="group"][aria-label="Delete this message?"]')
    expect(document.activeElement).toBe(confirm.get('button.danger').element)
    expect(done.calls).toEqual([])

    await confirm.get('button.danger').trigger('click')
    await flushPromises()
    expect(done.calls).toEqual([['remove', '7']])
  })
})

describe('a changed message', () => {
  it('says "edited" beside the time', () => {
    const wrapper = show({ message: message({ editedAt: '2026-11-25T10:20:00+00:00', version: 5 }), mine: true })
    expect(wrapper.get('[data-testid="edited"]').text()).toBe('edited')
  })

  it('once deleted, says so in place of its text, with no mood and no reactions', () => {
    const deleted = message({ message: '', sentiment: null, deletedAt: '2026-11-25T10:20:00+00:00', version: 6 })
    const wrapper = show({ message: deleted, mine: false, actions: actions() })
    expect(wrapper.get('.text').text()).toBe('message deleted')
    expect(wrapper.find('[data-testid="mood"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="edited"]').exists()).toBe(false)
    expect(wrapper.find('.reactions').exists()).toBe(false)
  })

  it('shows its text but no mood when its sender keeps their mood private', () => {
    const wrapper = show({ message: message({ sentiment: null }), mine: false, actions: actions() })
    expect(wrapper.get('.text').text()).toBe('Hello there')
    expect(wrapper.find('[data-testid="mood"]').exists()).toBe(false)
  })
})

describe('reactions', () => {
  const reactions = [
    { __typename: 'Reaction' as const, emoji: '👍', count: 2, mine: true },
    { __typename: 'Reaction' as const, emoji: '😂', count: 1, mine: false },
  ]

  it('show as chips, pressed when one is ours; pressing one toggles ours', async () => {
    const done = actions()
    const wrapper = show({ message: message({ reactions }), mine: false, actions: done })
    const chips = wrapper.findAll('[data-testid="reaction"]')
    expect(chips.map((chip) => [chip.attributes('aria-label'), chip.attributes('aria-pressed')])).toEqual([
      ['👍 2', 'true'],
      ['😂 1', 'false'],
    ])

    await chips[0]!.trigger('click')
    await chips[1]!.trigger('click')
    await flushPromises()
    expect(done.calls).toEqual([
      ['react', '7', '👍', false],
      ['react', '7', '😂', true],
    ])
  })

  it('are added from the picker, which the menu opens and Escape closes', async () => {
    const done = actions()
    const wrapper = show({ message: message({ reactions }), mine: false, actions: done })
    await wrapper.get('button[aria-label="Message actions"]').trigger('click')
    await wrapper.get('[role="menuitem"]').trigger('click')
    await flushPromises()

    const picker = wrapper.get('[role="group"][aria-label="Pick a reaction"]')
    const thumbs = picker.get('button[aria-label="React with thumbs up"]')
    expect(document.activeElement).toBe(thumbs.element)
    expect(thumbs.attributes('aria-pressed')).toBe('true')
    await picker.get('button[aria-label="React with heart"]').trigger('click')
    await flushPromises()
    expect(done.calls).toEqual([['react', '7', '\u2764\uFE0F', true]])
    expect(wrapper.find('[aria-label="Pick a reaction"]').exists()).toBe(false)

    await wrapper.get('button[aria-label="Message actions"]').trigger('click')
    await wrapper.get('[role="menuitem"]').trigger('click')
    await flushPromises()
    await wrapper.get('[aria-label="Pick a reaction"]').trigger('keydown', { key: 'Escape' })
    await flushPromises()
    expect(wrapper.find('[aria-label="Pick a reaction"]').exists()).toBe(false)
    expect(document.activeElement).toBe(wrapper.get('button[aria-label="Message actions"]').element)
  })
})
