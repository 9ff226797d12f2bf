// Errors in words a person understands. The server's own messages for
// expected refusals are written for people; anything else gets a plain
// sentence, never a code or a stack.
import type { ApolloError } from '@apollo/client/core'
import type { GraphQLFormattedError } from 'graphql'

export const CANNOT_REACH = "Can't reach Sentichat. Check your connection and try again."
export const REFUSED = 'Sentichat refused this request.'
export const SERVER_FAULT = 'Something went wrong on our side. Please try again.'

const SHOWN_AS_SENT = new Set(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'])

export interface Problem {
  /** What to show the user. */
  text: string
  /** The `extensions.code`, or NETWORK when the server was not reached. */
  code: string
  /** Trying the same request again later may work. */
  retryable: boolean
  /** Seconds the server asked us to wait, when it did. */
  retryAfter?: number
}

function fromGraphQLError(error: GraphQLFormattedError): Problem {
  const code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR'
  const retryAfter = typeof error.extensions?.retryAfter === 'number' ? error.extensions.retryAfter : undefined
  if (SHOWN_AS_SENT.has(code)) return { text: error.message, code, retryable: false }
  if (code === 'RATE_LIMITED') {
    const wait = retryAfter ? ` Try again in ${Math.ceil(retryAfter)} s.` : ''
    return { text: `Too many attempts.${wait}`, code, retryable: true, retryAfter }
  }
  if (code === 'SERVICE_UNAVAILABLE') {
    return { text: 'Sentichat is briefly unavailable; retrying shortly.', code, retryable: true, retryAfter }
  }
  return { text: SERVER_FAULT, code, retryable: code === 'INTERNAL_SERVER_ERROR' }
}

/** The problem behind an operation's failure. */
export function describeProblem(error: unknown): Problem {
  const apollo = error as Partial<ApolloError> | null
  const first = apollo?.graphQLErrors?.[0]
  if (first) return fromGraphQLError(first)
  const network = apollo?.networkError as { statusCode?: number; result?: unknown } | null | undefined
  if (network) {
    const result = network.result as { errors?: GraphQLFormattedError[] } | undefined
    const nested = result?.errors?.[0]
    if (nested) return fromGraphQLError(nested)
    if (network.statusCode === undefined) return { text: CANNOT_REACH, code: 'NETWORK', retryable: true }
    if (network.statusCode >= 500) return { text: SERVER_FAULT, code: 'NETWORK', retryable: true }
    return { text: REFUSED, code: 'NETWORK', retryable: false }
  }
  return { text: SERVER_FAULT, code: 'INTERNAL_SERVER_ERROR', retryable: false }
}
