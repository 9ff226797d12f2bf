import { ApolloClient, ApolloLink, InMemoryCache, Observable, type FetchResult } from '@apollo/client/core'
import { DefaultApolloClient } from '@vue/apollo-composable'
import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readonly, ref } from 'vue'

import type { Realtime } from '../src/apollo'
import MessageItem from '../src/components/MessageItem.vue'
import ReportForm from '../src/components/ReportForm.vue'
import ReportsView from '../src/components/ReportsView.vue'
import type { MessageFieldsFragment, ReportFieldsFragment } from '../src/generated/graphql'
import { RealtimeKey } from '../src/keys'
import type { MessageActions } from '../src/lib/messageActions'
import {
  MAX_NOTE_CHARS,
  noteLeft,
  NOTE_COUNT_FROM,
  noteProblem,
  reasonLabel,
  REPORT_REASONS,
  reportVariables,
} from '../src/lib/reports'
import { neutralSentiment, unchanged } from './fixtures'

const user = (id: string, username: string) => ({ __typename: 'User' as const, id, username })
const ALICE = user('1', 'alice')
const BOB = user('2', 'bob')

// Focus needs the DOM: mounted into the document, and taken out after each test.
const mounted: { unmount(): void }[] = []
afterEach(() => mounted.splice(0).forEach((wrapper) => wrapper.unmount()))
function keep<T extends { unmount(): void }>(wrapper: T): T {
  mounted.push(wrapper)
  return wrapper
}

describe('a report note', () => {
  it('is optional and bounded in code points, as the server counts', () => {
    expect(noteProblem('')).toBeNull()
    expect(noteLeft('')).toBe(MAX_NOTE_CHARS)
    expect(noteProblem('😀'.repeat(MAX_NOTE_CHARS))).toBeNull()
    expect(noteLeft('😀'.repeat(MAX_NOTE_CHARS))).toBe(0)
    expect(noteProblem('x'.repeat(MAX_NOTE_CHARS + 1))).toBe('Too long by 1 character.')
    expect(noteProblem('😀'.repeat(MAX_NOTE_CHARS + 3))).toBe('Too long by 3 characters.')
  })

  it('is sent trimmed, and a blank one as none', () => {
    expect(reportVariables('7', 'SPAM', '  ')).toEqual({ id: '7', reason: 'SPAM', note: null })
    expect(reportVariables('7', 'HATE', ' he did it again \n')).toEqual({ id: '7', reason: 'HATE', note: 'he did it again' })
  })

  it('comes with one of the four reasons, named for people', () => {
    expect(REPORT_REASONS.map((choice) => choice.label)).toEqual(['Spam', 'Harassment', 'Hate', 'Other'])
    expect(reasonLabel('HARASSMENT')).toBe('Harassment')
  })
})

describe('the report form', () => {
  function show() {
    return keep(mount(ReportForm, { props: { busy: false }, attachTo: document.body }))
  }
  const submit = (wrapper: ReturnType<typeof show>) => wrapper.get('button[type="submit"]')

  it('starts on the first reason, and cannot be sent until a reason is chosen', async () => {
    const wrapper = show()
    await flushPromises()
    const radios = wrapper.findAll('input[type="radio"]')
    expect(radios).toHaveLength(4)
    expect(document.activeElement).toBe(radios[0]!.element)
    expect(wrapper.get('legend').text()).toBe('Why are you reporting this message?')
    expect(submit(wrapper).attributes('disabled')).toBeDefined()

    await radios[1]!.setValue(true)
    expect(submit(wrapper).attributes('disabled')).toBeUndefined()
    await wrapper.get('form').trigger('submit')
    expect(wrapper.emitted('report')).toEqual([['HARASSMENT', '']])
  })

  it('counts the note only near the bound, and refuses one over it', async () => {
    const wrapper = show()
    await wrapper.findAll('input[type="radio"]')[3]!.setValue(true)
    const note = wrapper.get('textarea')
    const count = () => wrapper.find('[data-testid="note-count"]')
    // Nothing to show (or announce) on every keystroke far from the bound.
    expect(count().exists()).toBe(false)
    await note.setValue('x'.repeat(MAX_NOTE_CHARS - NOTE_COUNT_FROM))
    expect(count().exists()).toBe(false)
    expect(note.attributes('aria-describedby')).toBeUndefined()

    await note.setValue('x'.repeat(MAX_NOTE_CHARS - NOTE_COUNT_FROM + 1))
    expect(count().text()).toBe(`${NOTE_COUNT_FROM - 1} of ${MAX_NOTE_CHARS} characters left`)
    expect(count().attributes('aria-live')).toBe('polite')
    expect(note.attributes('aria-describedby')).toBe(count().attributes('id'))
    await note.setValue('x'.repeat(MAX_NOTE_CHARS))
    expect(count().text()).toBe(`0 of ${MAX_NOTE_CHARS} characters left`)
    expect(submit(wrapper).attributes('disabled')).toBeUndefined()

    await note.setValue('x'.repeat(MAX_NOTE_CHARS + 2))
    expect(count().text()).toBe('Too long by 2 characters.')
    expect(note.attributes('aria-invalid')).toBe('true')
    expect(submit(wrapper).attributes('disabled')).toBeDefined()
    await wrapper.get('form').trigger('submit')
    expect(wrapper.emitted('report')).toBeUndefined()
  })

  it('is cancelled with Escape', async () => {
    const wrapper = show()
    await wrapper.get('form').trigger('keydown', { key: 'Escape' })
    expect(wrapper.emitted('cancel')).toHaveLength(1)
  })
})

describe('reporting a received message', () => {
  const received: MessageFieldsFragment = {
    __typename: 'Message',
    id: '7',
    seq: 3,
    channel: 'private-chat_1_2',
    message: 'You again?',
    clientId: null,
    createdAt: '2026-11-25T10:15:00+00:00',
    fromUser: BOB,
    toUser: ALICE,
    sentiment: neutralSentiment(),
    ...unchanged(3),
  }

  function show(report: MessageActions['report']) {
    const actions: MessageActions = {
      edit: async () => undefined,
      remove: async () => undefined,
      react: async () => undefined,
      report,
    }
    return keep(mount(MessageItem, { props: { message: received, mine: false, actions }, attachTo: document.body }))
  }

  async function fillIn(wrapper: ReturnType<typeof show>) {
    await wrapper.get('button[aria-label="Message actions"]').trigger('click')
    await wrapper.findAll('[role="menuitem"]')[1]!.trigger('click')
    await flushPromises()
    const form = wrapper.get('form[aria-label="Report this message"]')
    await form.findAll('input[type="radio"]')[0]!.setValue(true)
    await form.get('textarea').setValue('Sells pills')
    await form.trigger('submit')
    await flushPromises()
  }

  it('sends the reason and note from the menu, then says "Reported"', async () => {
    const report = vi.fn().mockResolvedValue(undefined)
    const wrapper = show(report)
    await fillIn(wrapper)

    expect(report).toHaveBeenCalledWith('7', 'SPAM', 'Sells pills')
    expect(wrapper.find('form').exists()).toBe(false)
    expect(wrapper.get('[role="status"][data-testid="reported"]').text()).toBe('Reported')
    expect(document.activeElement).toBe(wrapper.get('button[aria-label="Message actions"]').element)
  })

  it('says why the server refused it, and keeps the form open', async () => {
    const refusal = { graphQLErrors: [{ message: 'Slow down', extensions: { code: 'RATE_LIMITED', retryAfter: 30 } }] }
    const wrapper = show(vi.fn().mockRejectedValue(refusal))
    await fillIn(wrapper)

    expect(wrapper.get('[role="alert"]').text()).toBe('Too many attempts. Try again in 30 s.')
    expect(wrapper.find('form[aria-label="Report this message"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="reported"]').exists()).toBe(false)
  })
})

function report(id: string, text: string, changes: Partial<ReportFieldsFragment> = {}): ReportFieldsFragment {
  return {
    __typename: 'Report',
    id,
    reason: 'HARASSMENT',
    note: 'Every day.',
    messageId: `m${id}`,
    text,
    sentAt: '2026-11-25T10:15:00+00:00',
    createdAt: '2026-11-25T10:16:00+00:00',
    reporter: ALICE,
    sender: BOB,
    sentiment: { ...neutralSentiment()!, label: 'NEGATIVE', emoji: '\u{1F61F}' },
    ...changes,
  }
}

/** The Reports view on a fake server: the open reports, and what resolving them answers. */
function showReports(open: ReportFieldsFragment[], refuse?: { code: string; message: string }) {
  const resolved: Record<string, unknown>[] = []
  const link = new ApolloLink(
    (operation) =>
      new Observable<FetchResult>((observer) => {
        const { operationName, variables } = operation
        if (operationName === 'OpenReports') observer.next({ data: { reports: open } })
        else if (refuse) observer.next({ errors: [{ message: refuse.message, extensions: { code: refuse.code } }] })
        else {
          resolved.push(variables)
          open = open.filter((item) => item.id !== variables.id)
          const answer = { __typename: 'Report', id: variables.id, status: 'RESOLVED', action: variables.action }
          observer.next({ data: { resolveReport: answer } })
        }
        observer.complete()
      }),
  )
  const client = new ApolloClient({ link, cache: new InMemoryCache() })
  const realtime: Realtime = { state: readonly(ref('online' as const)), onReconnected: () => () => undefined, stop: () => undefined }
  const wrapper = keep(
    mount(ReportsView, {
      attachTo: document.body,
      global: {
        provide: { [DefaultApolloClient]: client, [RealtimeKey as symbol]: realtime },
        stubs: { RouterLink: { template: '<a><slot /></a>' } },
      },
    }),
  )
  return { wrapper, resolved }
}

describe('the Reports view', () => {
  it('shows each open report: the text, its mood, the reason and note, who sent it and who reported it', async () => {
    const { wrapper } = showReports([report('1', 'You are worthless'), report('2', 'Buy now', { reason: 'SPAM', note: null })])
    await flushPromises()

    const items = wrapper.findAll('[data-testid="report"]')
    expect(items.map((item) => item.get('[data-testid="report-text"]').text())).toEqual(['You are worthless', 'Buy now'])
    const first = items[0]!
    expect(first.attributes('aria-label')).toBe("Report on bob's message")
    expect(first.get('[data-testid="report-reason"]').text()).toBe('Harassment')
    expect(first.get('[data-testid="report-note"]').text()).toBe('Every day.')
    expect(first.get('[data-testid="report-sender"]').text()).toBe('bob')
    expect(first.get('[data-testid="report-reporter"]').text()).toBe('alice')
    const mood = first.get('[role="img"][data-testid="mood"]')
    expect(mood.text()).toBe('\u{1F61F}')
    expect(mood.attributes('aria-label')).toMatch(/^Mood: negative/)
    expect(items[1]!.find('[data-testid="report-note"]').exists()).toBe(false)
    const buttons = first.findAll('[role="group"][aria-label="Resolve this report"] button')
    expect(buttons.map((button) => button.text())).toEqual(['Dismiss', 'Delete message', 'Suspend sender'])
  })

  it('takes a dismissed report out of the list once the server answers', async () => {
    const { wrapper, resolved } = showReports([report('1', 'You are worthless'), report('2', 'Buy now')])
    await flushPromises()

    await wrapper.findAll('[data-testid="report"]')[0]!.get('button').trigger('click') // Dismiss
    await flushPromises()

    expect(resolved).toEqual([{ id: '1', action: 'DISMISS' }])
    expect(wrapper.findAll('[data-testid="report-text"]').map((text) => text.text())).toEqual(['Buy now'])
  })

  it('asks before suspending the sender, then suspends them', async () => {
    const { wrapper, resolved } = showReports([report('1', 'You are worthless')])
    await flushPromises()
    const suspend = wrapper.findAll('[data-testid="report"] button').find((button) => button.text() === 'Suspend sender')!

    await suspend.trigger('click')
    await flushPromises()
    const confirm = wrapper.get('[role="group"][aria-label="Suspend sender?"]')
    expect(document.activeElement).toBe(confirm.get('button.danger').element)
    expect(resolved).toEqual([])

    await confirm.get('button.danger').trigger('click')
    await flushPromises()
    expect(resolved).toEqual([{ id: '1', action: 'SUSPEND_SENDER' }])
    expect(wrapper.get('.empty').text()).toBe('No open reports.')
  })

  it("shows the server's refusal and keeps the report", async () => {
    const { wrapper } = showReports([report('1', 'You are worthless')], {
      code: 'FORBIDDEN',
      message: 'Only moderators can do this.',
    })
    await flushPromises()

    await wrapper.get('[data-testid="report"] button').trigger('click')
    await flushPromises()

    expect(wrapper.get('[data-testid="report"] [role="alert"]').text()).toBe('Only moderators can do this.')
    expect(wrapper.findAll('[data-testid="report"]')).toHaveLength(1)
  })
})
