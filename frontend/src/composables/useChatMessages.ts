// One chat's messages for the pane: the newest page from the server, older
// pages on demand, live ones and their changes as the chat's feeds write them
// into the cache, and the user's own messages still on their way.
import { useQuery } from '@vue/apollo-composable'
import { computed, ref, watch, type Ref } from 'vue'

import { ChatMessagesDocument } from '../generated/graphql'
import { describeProblem } from '../lib/errors'
import { hasOlder, unconfirmed } from '../lib/messages'
import { PAGE_SIZE, useChatState } from './chatState'

export function useChatMessages(channel: Ref<string | null>) {
  const state = useChatState()
  const { result, error, fetchMore } = useQuery(
    ChatMessagesDocument,
    () => ({ channel: channel.value ?? '', last: PAGE_SIZE }),
    () => ({ enabled: channel.value !== null, fetchPolicy: 'cache-and-network' }),
  )
  const messages = computed(() => (channel.value ? (result.value?.messages ?? []) : []))
  // A page read before a change the feeds already brought shows it again.
  watch(messages, (list) => state.reassert(list))
  const waiting = computed(() =>
    unconfirmed(
      state.pending.value.filter((entry) => entry.channel === channel.value),
      messages.value,
    ),
  )
  const problem = computed(() => (error.value ? describeProblem(error.value).text : null))
  const loadingOlder = ref(false)
  const canLoadOlder = computed(() => hasOlder(messages.value))

  async function loadOlder() {
    const oldest = messages.value[0]
    if (!oldest || !canLoadOlder.value || loadingOlder.value || !channel.value) return
    loadingOlder.value = true
    try {
      // Merged by seq into the same cached list (lib/messages.ts).
      await fetchMore({ variables: { channel: channel.value, before: oldest.seq, last: PAGE_SIZE } })
    } finally {
      loadingOlder.value = false
    }
  }

  return { messages, waiting, problem, canLoadOlder, loadingOlder, loadOlder }
}
