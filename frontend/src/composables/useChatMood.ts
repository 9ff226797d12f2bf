// The open chat's mood for its header, and how a draft would be scored.
//
// The mood itself (Chat.mood) is the chat state's: read with the chat, put
// right at once by MoodChanged on the chat's activity feed, and asked for
// again here with the history (moodHistory): when the chat opens, and
// whenever a message is sent, arrives or changes in it, at most once a second.
import { useApolloClient } from '@vue/apollo-composable'
import { computed, onBeforeUnmount, shallowRef, watch, type Ref } from 'vue'

import { MoodHistoryDocument, SentimentPreviewDocument, type MoodHistoryQuery } from '../generated/graphql'
import type { SentimentView } from '../lib/sentiment'
import { Throttle } from '../lib/throttle'
import { useChatState } from './chatState'

/** The history's runs of messages: a point per run in the sparkline. */
export const MOOD_BUCKETS = 30
/** At most one refresh of the header's mood this often. */
export const MOOD_REFRESH_MS = 1_000

/**
 * `changed` moves whenever the chat's messages do (the highest version
 * shown: a send, an edit, a deletion, a reaction).
 */
export function useChatMood(channel: Ref<string | null>, changed: Ref<number>) {
  const state = useChatState()
  const { client } = useApolloClient()
  const history = shallowRef<MoodHistoryQuery['moodHistory']>([])
  const mood = computed(() => (channel.value ? state.moodOf(channel.value) : null))

  // Read past Apollo's cache (a fresh list each time, nothing to merge); a
  // failure keeps the line as it was, and the next message asks again. An
  // answer overtaken by a later question's is dropped.
  let asked = 0
  let shown = 0
  async function loadHistory(open: string) {
    const question = ++asked
    try {
      const { data } = await client.query({
        query: MoodHistoryDocument,
        variables: { channel: open, buckets: MOOD_BUCKETS },
        fetchPolicy: 'no-cache',
      })
      if (channel.value !== open || question < shown) return
      shown = question
      history.value = data.moodHistory
    } catch {
      // Offline, or refused: shown as it was.
    }
  }

  const refresh = new Throttle(() => {
    if (!channel.value) return
    void loadHistory(channel.value)
    void state.refreshMood()
  }, MOOD_REFRESH_MS)
  watch(
    [channel, changed],
    ([open, version], [before, last]) => {
      if (open !== before) {
        // A chat just opened is read at once: its mood as listed may be
        // old (only a change of label is pushed, and only while followed).
        history.value = []
        refresh.stop()
        if (open) refresh.now()
      } else if (open && version > (last ?? 0)) {
        refresh.request()
      }
    },
    { immediate: true },
  )
  onBeforeUnmount(() => refresh.stop())

  return { mood, history }
}

/** How a draft would be scored (sentimentPreview), for the composer. */
export function useSentimentPreview(): (text: string) => Promise<SentimentView> {
  const { client } = useApolloClient()
  return async (text) => {
    const { data } = await client.query({
      query: SentimentPreviewDocument,
      variables: { text },
      fetchPolicy: 'no-cache',
    })
    return data.sentimentPreview
  }
}
