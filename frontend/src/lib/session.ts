// The signed-in user and their token, kept in localStorage so that a reload
// keeps the session until the token expires.
import { reactive } from 'vue'

export interface SessionUser {
  id: string
  username: string
}

export interface SessionState {
  token: string | null
  user: SessionUser | null
  /** Why the last session ended, when it was not the user's choice. */
  notice: string | null
}

export interface Session {
  readonly state: Readonly<SessionState>
  signIn(token: string, user: SessionUser): void
  signOut(notice?: string): void
  /** `Bearer <token>`, or undefined when signed out. */
  authorization(): string | undefined
  onChange(listener: () => void): () => void
}

const STORAGE_KEY = 'sentichat.session'

/** The token's `exp` in milliseconds, or undefined if it cannot be read. */
export function tokenExpiry(token: string): number | undefined {
  const body = token.split('.')[1]
  if (!body) return undefined
  try {
    const json = atob(body.replace(/-/g, '+').replace(/_/g, '/'))
    const exp: unknown = JSON.parse(json).exp
    return typeof exp === 'number' ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}

function isUser(value: unknown): value is SessionUser {
  if (typeof value !== 'object' || value === null) return false
  const { id, username } = value as Record<string, unknown>
  return typeof id === 'string' && typeof username === 'string'
}

function load(storage: Storage, now: number): Pick<SessionState, 'token' | 'user'> {
  try {
    const saved: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null')
    if (typeof saved === 'object' && saved !== null) {
      const { token, user } = saved as Record<string, unknown>
      const expiry = typeof token === 'string' ? tokenExpiry(token) : undefined
      if (typeof token === 'string' && isUser(user) && expiry !== undefined && expiry > now) {
        return { token, user }
      }
    }
  } catch {
    // Unreadable: start signed out.
  }
  storage.removeItem(STORAGE_KEY)
  return { token: null, user: null }
}

export function createSession(storage: Storage, now: () => number = Date.now): Session {
  const state = reactive<SessionState>({ ...load(storage, now()), notice: null })
  const listeners = new Set<() => void>()
  const changed = () => listeners.forEach((listener) => listener())

  return {
    state,
    signIn(token, user) {
      Object.assign(state, { token, user: { id: user.id, username: user.username }, notice: null })
      storage.setItem(STORAGE_KEY, JSON.stringify({ token, user: state.user }))
      changed()
    },
    signOut(notice) {
      if (state.token === null) return
      Object.assign(state, { token: null, user: null, notice: notice ?? null })
      storage.removeItem(STORAGE_KEY)
      changed()
    },
    authorization() {
      if (state.token === null) return undefined
      const expiry = tokenExpiry(state.token)
      if (expiry !== undefined && expiry <= now()) {
        this.signOut(SESSION_EXPIRED)
        return undefined
      }
      return `Bearer ${state.token}`
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

export const SESSION_EXPIRED = 'Your session has expired. Please log in again.'
export const ACCOUNT_SUSPENDED = 'Your account has been suspended.'

/**
 * Why the server no longer takes our token, from what it said: a refused
 * request's message or a closed socket's reason ("This account is
 * suspended."); anything else is an expired or unknown token.
 */
export function refusalNotice(said: string | undefined): string {
  return said && /\bsuspended\b/i.test(said) ? ACCOUNT_SUSPENDED : SESSION_EXPIRED
}
