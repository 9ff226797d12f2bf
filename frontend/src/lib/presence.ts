// Whether the people one chats with are here, in words: "online", "last seen
// 5 min ago". The server shows presence only between people who share a chat.

export interface PresenceView {
  online: boolean
  /** ISO 8601; null when the server has not seen them since it last forgot. */
  lastSeenAt: string | null
}

const MINUTE_MS = 60_000

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`
}

/** "last seen just now", "… 5 min ago", "… 3 hours ago", "… 2 days ago". */
export function lastSeenText(lastSeenAt: string, now: number): string {
  // A clock a little ahead of ours must not say "-1 min ago".
  const minutes = Math.max(0, Math.floor((now - Date.parse(lastSeenAt)) / MINUTE_MS))
  if (minutes < 1) return 'last seen just now'
  if (minutes < 60) return `last seen ${minutes} min ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `last seen ${plural(hours, 'hour')} ago`
  return `last seen ${plural(Math.floor(hours / 24), 'day')} ago`
}

/** What to say of a person: "online", when they were last seen, or nothing (not ours to know). */
export function presenceText(view: PresenceView | undefined, now: number): string | null {
  if (!view) return null
  if (view.online) return 'online'
  // Unreadable is as good as unknown.
  if (!view.lastSeenAt || Number.isNaN(Date.parse(view.lastSeenAt))) return null
  return lastSeenText(view.lastSeenAt, now)
}
