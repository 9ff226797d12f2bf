// A conversation's mood as the chat header shows it: in words for screen
// readers and on hover ("Mostly positive, getting warmer"), and a trend line
// per person from the chat's mood history.
import type { SentimentLabel } from '../generated/graphql'
import type { SparkSeries } from './sparkline'

/** A trend beyond this either way is warming or cooling; within it, steady. */
export const TREND_AT = 0.05

export interface UserMoodView {
  user: { id: string; username: string }
  /** Null: they keep their sentiment private (never for the viewer). */
  score: number | null
  messages: number
}

export interface ChatMoodView {
  score: number
  label: SentimentLabel
  emoji: string
  /** Short-term mood minus `score`: above 0 the conversation is warming. */
  trend: number
  /** Both members, the viewer first. */
  byUser: readonly UserMoodView[]
}

/** One run of a chat's messages, oldest first in the history. */
export interface MoodPointView {
  byUser: readonly UserMoodView[]
}

const WORDS: Record<SentimentLabel, string> = {
  POSITIVE: 'positive',
  NEUTRAL: 'neutral',
  NEGATIVE: 'negative',
}

export function trendText(trend: number): string {
  if (trend > TREND_AT) return 'getting warmer'
  if (trend < -TREND_AT) return 'cooling down'
  return 'steady'
}

/** Members other than the viewer who keep their mood private. */
export function privateMembers(mood: ChatMoodView, meId: string): string[] {
  return mood.byUser.filter((part) => part.score === null && part.user.id !== meId).map((part) => part.user.username)
}

/** Whether anyone has written in the chat: before that there is no mood to show. */
export function hasMood(mood: ChatMoodView): boolean {
  return mood.byUser.some((part) => part.messages > 0)
}

/** "Mostly positive, getting warmer", and whose mood is private: "bob's mood is private." */
export function moodText(mood: ChatMoodView, meId: string): string {
  let text = `Mostly ${WORDS[mood.label]}, ${trendText(mood.trend)}.`
  for (const name of privateMembers(mood, meId)) text += ` ${name}'s mood is private.`
  return text
}

/**
 * One line per person over the history, the viewer's first. A run in which
 * a person wrote nothing is a gap in their line; a person whose scores are
 * private (null) gets no line at all.
 */
export function moodSeries(history: readonly MoodPointView[], meId: string): SparkSeries[] {
  const people = new Map<string, SparkSeries & { values: (number | null)[] }>()
  history.forEach((point, index) => {
    for (const part of point.byUser) {
      let line = people.get(part.user.id)
      if (!line) {
        line = { key: part.user.id, name: part.user.username, mine: part.user.id === meId, values: [] }
        people.set(part.user.id, line)
      }
      line.values[index] = part.score === null || part.messages === 0 ? null : part.score
    }
  })
  return [...people.values()]
    .map((line) => ({ ...line, values: Array.from({ length: history.length }, (_, i) => line.values[i] ?? null) }))
    .filter((line) => line.values.some((value) => value !== null))
    .sort((a, b) => Number(b.mine) - Number(a.mine))
}
