import { ApolloClient, ApolloLink, InMemoryCache, Observable, type FetchResult } from '@apollo/client/core'
import { DefaultApolloClient } from '@vue/apollo-composable'
import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { readonly, ref } from 'vue'

import type { Realtime } from '../src/apollo'
import ShareMoodSetting from '../src/components/ShareMoodSetting.vue'
import { RealtimeKey } from '../src/keys'

const ME = { __typename: 'User', id: '1', username: 'alice' }

/** A server holding Alice's setting; `refuse` makes setShareSentiment fail. */
function server(sharing: boolean, refuse = false) {
  const asked: unknown[] = []
  const link = new ApolloLink(
    (operation) =>
      new Observable<FetchResult>((observer) => {
        if (operation.operationName === 'SetShareSentiment') {
          asked.push(operation.variables.share)
          if (refuse) {
            observer.next({ errors: [{ message: 'Slow down.', extensions: { code: 'BAD_USER_INPUT' } }] })
          } else {
            sharing = operation.variables.share as boolean
            observer.next({ data: { setShareSentiment: { ...ME, shareSentiment: sharing } } })
          }
        } else {
          observer.next({ data: { me: { ...ME, shareSentiment: sharing } } })
        }
        observer.complete()
      }),
  )
  return { asked, client: new ApolloClient({ link, cache: new InMemoryCache() }) }
}

const realtime: Realtime = {
  state: readonly(ref('online' as const)),
  onReconnected: () => () => undefined,
  stop: () => undefined,
}

async function show(client: ApolloClient<unknown>) {
  const wrapper = mount(ShareMoodSetting, {
    global: { provide: { [DefaultApolloClient as symbol]: client, [RealtimeKey as symbol]: realtime } },
  })
  await flushPromises()
  return wrapper
}

describe("the 'Share my messages' mood' setting", () => {
  it('shows what the server holds, and changes it there', async () => {
    const { asked, client } = server(true)
    const wrapper = await show(client)
    const box = wrapper.get<HTMLInputElement>('input[type="checkbox"]')
    expect(wrapper.get('label').text()).toBe("Share my messages' mood")
    expect(box.element.checked).toBe(true)
    expect(box.attributes('disabled')).toBeUndefined()

    await box.setValue(false)
    await flushPromises()
    expect(asked).toEqual([false])
    expect(box.element.checked).toBe(false)
  })

  it('says why when the server refuses, and shows what it still holds', async () => {
    const { client } = server(false, true)
    const wrapper = await show(client)
    const box = wrapper.get<HTMLInputElement>('input[type="checkbox"]')
    await box.setValue(true)
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toBe('Slow down.')
    expect(box.element.checked).toBe(false)
  })
})
