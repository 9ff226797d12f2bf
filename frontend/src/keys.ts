import { inject, type InjectionKey } from 'vue'

import type { Realtime } from './apollo'
import type { Session } from './lib/session'

export const SessionKey: InjectionKey<Session> = Symbol('Session')
export const RealtimeKey: InjectionKey<Realtime> = Symbol('Realtime')

function required<T>(key: InjectionKey<T>, name: string): T {
  const value = inject(key)
  if (value === undefined) throw new Error(`${name} was not provided`)
  return value
}

export const useSession = () => required(SessionKey, 'Session')
export const useRealtime = () => required(RealtimeKey, 'Realtime')
