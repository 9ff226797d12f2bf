import { describe, expect, it } from 'vitest'

import { actionsFor, editProblem, MAX_MESSAGE_CHARS, QUICK_REACTIONS, reactedWith } from '../src/lib/messageActions'

describe('actionsFor', () => {
  it('offers reacting on any message, editing and deleting on one own, reporting one received, nothing once deleted', () => {
    expect(actionsFor({ deletedAt: null }, true)).toEqual(['react', 'edit', 'delete'])
    expect(actionsFor({ deletedAt: null }, false)).toEqual(['react', 'report'])
    expect(actionsFor({ deletedAt: '2026-11-25T10:00:00+00:00' }, false)).toEqual([])
    expect(actionsFor({ deletedAt: '2026-11-25T10:00:00+00:00' }, true)).toEqual([])
  })
})

describe('reactedWith', () => {
  it('is true only for an emoji the reader put on', () => {
    const reactions = [
      { emoji: '👍', mine: true },
      { emoji: '😂', mine: false },
    ]
    expect(reactedWith(reactions, '👍')).toBe(true)
    expect(reactedWith(reactions, '😂')).toBe(false)
    expect(reactedWith(reactions, '🙏')).toBe(false)
  })
})

describe('QUICK_REACTIONS', () => {
  it('offers the heart fully qualified, as the server answers it', () => {
    expect(QUICK_REACTIONS.map((choice) => choice.emoji)).toContain('\u2764\uFE0F')
  })
})

describe('editProblem', () => {
  it('refuses an empty text and one over the bound, in code points', () => {
    expect(editProblem('  \n')).toBe('A message cannot be empty: delete it instead.')
    expect(editProblem('😀'.repeat(MAX_MESSAGE_CHARS))).toBeNull()
    expect(editProblem('😀'.repeat(MAX_MESSAGE_CHARS + 2))).toBe('Too long by 2 characters.')
    expect(editProblem('fine')).toBeNull()
  })
})
