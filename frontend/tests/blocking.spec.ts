import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ref } from 'vue'

import PersonMenu from '../src/components/PersonMenu.vue'
import { ChatStateKey, type ChatState, type Person } from '../src/composables/chatState'
import { BlockChanges, withBlockedByMe } from '../src/lib/blocking'

const person = (id: string, username: string, blockedByMe = false): Person => ({
  __typename: 'User',
  id,
  username,
  blockedByMe,
})
const BOB = person('2', 'bob')
const CAROL = person('3', 'carol')

describe('withBlockedByMe', () => {
  it('changes only that user, and keeps the others as they were', () => {
    const users = [BOB, CAROL]
    const changed = withBlockedByMe(users, BOB.id, true)

    expect(changed.map((u) => u.blockedByMe)).toEqual([true, false])
    expect(changed[1]).toBe(CAROL)
    expect(users[0]!.blockedByMe).toBe(false) // a new list
    expect(withBlockedByMe(changed, BOB.id, true)[0]).toBe(changed[0])
  })
})

describe('BlockChanges', () => {
  it('puts back a change made after the list was asked for', () => {
    const changes = new BlockChanges()
    const asked = changes.mark()
    changes.note(BOB.id, true)

    const settled = changes.settle([BOB, CAROL], asked)
    expect(settled.map((u) => u.blockedByMe)).toEqual([true, false])
    expect(settled[1]).toBe(CAROL)
  })

  it('trusts a list asked for after the change', () => {
    const changes = new BlockChanges()
    changes.note(BOB.id, true)
    const asked = changes.mark()

    // Unblocked meanwhile elsewhere (another tab): the server's word stands.
    expect(changes.settle([BOB], asked)[0]).toBe(BOB)
  })

  it('keeps the latest of several changes', () => {
    const changes = new BlockChanges()
    const asked = changes.mark()
    changes.note(BOB.id, true)
    changes.note(BOB.id, false)

    expect(changes.settle([person('2', 'bob', true)], asked)[0]!.blockedByMe).toBe(false)
  })
})

describe('the menu on a person', () => {
  const mounted: { unmount(): void }[] = []
  afterEach(() => mounted.splice(0).forEach((wrapper) => wrapper.unmount()))

  function show(who: Person, setBlocked: ChatState['setBlocked']) {
    const state = { setBlocked, users: ref([who]) } as unknown as ChatState
    const wrapper = mount(PersonMenu, {
      props: { person: who },
      attachTo: document.body,
      global: { provide: { [ChatStateKey as symbol]: state } },
    })
    mounted.push(wrapper)
    return wrapper
  }

  async function open(wrapper: ReturnType<typeof show>, name: string) {
    await wrapper.get(`button[aria-label="Actions for ${name}"]`).trigger('click')
    await flushPromises()
    return wrapper.findAll(`[role="menu"][aria-label="Actions for ${name}"] [role="menuitem"]`)
  }

  it('offers Block, or Unblock for someone blocked, and does it', async () => {
    const setBlocked = vi.fn().mockResolvedValue(undefined)
    const items = await open(show(BOB, setBlocked), 'bob')
    expect(items.map((item) => item.text())).toEqual(['Block'])
    await items[0]!.trigger('click')
    expect(setBlocked).toHaveBeenCalledWith('2', true)

    const unblocking = await open(show(person('3', 'carol', true), setBlocked), 'carol')
    expect(unblocking.map((item) => item.text())).toEqual(['Unblock'])
    await unblocking[0]!.trigger('click')
    expect(setBlocked).toHaveBeenLastCalledWith('3', false)
  })

  it("says why the server refused", async () => {
    const refusal = { graphQLErrors: [{ message: 'You cannot block yourself.', extensions: { code: 'BAD_USER_INPUT' } }] }
    const wrapper = show(BOB, vi.fn().mockRejectedValue(refusal))
    const items = await open(wrapper, 'bob')
    await items[0]!.trigger('click')
    await flushPromises()

    expect(wrapper.get('[role="alert"]').text()).toBe('You cannot block yourself.')
    expect(document.activeElement).toBe(wrapper.get('button[aria-label="Actions for bob"]').element)
  })
})
