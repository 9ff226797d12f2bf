import { beforeEach, describe, expect, it } from 'vitest'

import { describeProblem } from '../src/lib/errors'
import { createSession, SESSION_EXPIRED, tokenExpiry } from '../src/lib/session'

const NOW = 1_800_000_000_000

function token(exp: number | undefined): string {
  const body = btoa(JSON.stringify(exp === undefined ? { sub: '1' } : { sub: '1', exp }))
  return `header.${body.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}.signature`
}

describe('session', () => {
  beforeEach(() => localStorage.clear())

  it('survives a reload until its token expires', () => {
    const first = createSession(localStorage, () => NOW)
    first.signIn(token(NOW / 1000 + 60), { id: '1', username: 'alice' })

    const reloaded = createSession(localStorage, () => NOW + 30_000)
    expect(reloaded.state.user).toEqual({ id: '1', username: 'alice' })
    expect(reloaded.authorization()).toBe(`Bearer ${token(NOW / 1000 + 60)}`)

    const later = createSession(localStorage, () => NOW + 61_000)
    expect(later.state.user).toBeNull()
    expect(localStorage.length).toBe(0)
  })

  it('ends with a notice when the token expires while in use', () => {
    let now = NOW
    const session = createSession(localStorage, () => now)
    session.signIn(token(NOW / 1000 + 60), { id: '1', username: 'alice' })
    now += 61_000

    expect(session.authorization()).toBeUndefined()
    expect(session.state).toMatchObject({ token: null, user: null, notice: SESSION_EXPIRED })
  })

  it('forgets what it cannot read', () => {
    for (const saved of ['{', '"text"', '{"token": 5}', JSON.stringify({ token: token(undefined), user: { id: '1', username: 'a' } })]) {
      localStorage.setItem('sentichat.session', saved)
      expect(createSession(localStorage, () => NOW).state.token).toBeNull()
    }
  })

  it('logs out on request, telling listeners', () => {
    const session = createSession(localStorage, () => NOW)
    session.signIn(token(NOW / 1000 + 60), { id: '1', username: 'alice' })
    const changes: (string | null)[] = []
    session.onChange(() => changes.push(session.state.token))

    session.signOut()

    expect(changes).toEqual([null])
    expect(session.state.notice).toBeNull()
    expect(localStorage.getItem('sentichat.session')).toBeNull()
  })

  it('reads the expiry of a token, if it has one', () => {
    expect(tokenExpiry(token(1234))).toBe(1_234_000)
    expect(tokenExpiry(token(undefined))).toBeUndefined()
    expect(tokenExpiry('not a token')).toBeUndefined()
  })
})

describe('describeProblem', () => {
  const graphQLError = (code: string, message: string, extra: Record<string, unknown> = {}) => ({
    graphQLErrors: [{ message, extensions: { code, ...extra } }],
  })

  it("shows the server's words for expected refusals", () => {
    expect(describeProblem(graphQLError('UNAUTHENTICATED', 'Wrong username or password.')).text).toBe(
      'Wrong username or password.',
    )
    expect(describeProblem(graphQLError('BAD_USER_INPUT', 'That username is taken.'))).toMatchObject({
      text: 'That username is taken.',
      retryable: false,
    })
  })

  it('says when to retry a rate limit', () => {
    expect(describeProblem(graphQLError('RATE_LIMITED', 'Slow down', { retryAfter: 4.2 }))).toMatchObject({
      text: 'Too many attempts. Try again in 5 s.',
      retryable: true,
      retryAfter: 4.2,
    })
  })

  it('never shows a server fault as it came', () => {
    expect(describeProblem(graphQLError('INTERNAL_SERVER_ERROR', 'Unexpected error.')).text).toBe(
      'Something went wrong on our side. Please try again.',
    )
  })

  it('tells a network failure from a refusal', () => {
    expect(describeProblem({ networkError: new TypeError('Failed to fetch') })).toMatchObject({
      text: "Can't reach Sentichat. Check your connection and try again.",
      retryable: true,
    })
    expect(describeProblem({ networkError: { statusCode: 502 } }).retryable).toBe(true)
    expect(describeProblem({ networkError: { statusCode: 413 } })).toMatchObject({
      text: 'Sentichat refused this request.',
      retryable: false,
    })
  })
})
