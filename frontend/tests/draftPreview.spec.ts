import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { DraftPreview, PREVIEW_DELAY_MS } from '../src/lib/draftPreview'

const DELAY = PREVIEW_DELAY_MS

describe('previewing a draft', () => {
  let asked: string[]
  let shown: (string | null)[]
  let answers: Map<string, () => void>
  let fail: boolean
  let preview: DraftPreview<string>

  beforeEach(() => {
    vi.useFakeTimers()
    asked = []
    shown = []
    answers = new Map()
    fail = false
    // Each call waits until the test answers it.
    preview = new DraftPreview(
      (text) => {
        asked.push(text)
        return new Promise((resolve, reject) => {
          answers.set(text, () => (fail ? reject(new Error('refused')) : resolve(`scored ${text}`)))
        })
      },
      (result) => shown.push(result),
    )
  })
  afterEach(() => vi.useRealTimers())

  async function answer(text: string) {
    answers.get(text)!()
    await vi.advanceTimersByTimeAsync(0)
  }

  /** Keystrokes building `text` a letter every `everyMs`. */
  function type(text: string, everyMs = 100) {
    for (let end = 1; end <= text.length; end++) {
      preview.update(text.slice(0, end))
      vi.advanceTimersByTime(everyMs)
    }
  }

  it('asks once the draft stands still for the delay, not per keystroke', async () => {
    type('hello')
    expect(asked).toEqual([])
    await vi.advanceTimersByTimeAsync(DELAY - 100)
    expect(asked).toEqual(['hello'])
    await answer('hello')
    expect(shown).toEqual(['scored hello'])
  })

  it('keeps one call in flight; of the drafts that stood still meanwhile, only the latest goes next', async () => {
    preview.update('one')
    await vi.advanceTimersByTimeAsync(DELAY)
    preview.update('two')
    await vi.advanceTimersByTimeAsync(DELAY)
    preview.update('three')
    await vi.advanceTimersByTimeAsync(DELAY * 3)
    expect(asked).toEqual(['one'])

    await answer('one')
    expect(asked).toEqual(['one', 'three'])
    expect(shown).toEqual([]) // "one" is no longer the draft
    await answer('three')
    expect(shown).toEqual(['scored three'])
  })

  it('shows nothing for an empty draft, at once, and ignores an answer that comes after', async () => {
    preview.update('grr')
    await vi.advanceTimersByTimeAsync(DELAY)
    preview.update('  ')
    expect(shown).toEqual([null])
    await answer('grr')
    await vi.advanceTimersByTimeAsync(DELAY * 3)
    expect(shown).toEqual([null])
    expect(asked).toEqual(['grr'])
  })

  it('shows nothing when a call fails, and carries on', async () => {
    fail = true
    preview.update('a')
    await vi.advanceTimersByTimeAsync(DELAY)
    await answer('a')
    expect(shown).toEqual([null])
    fail = false
    preview.update('ab')
    await vi.advanceTimersByTimeAsync(DELAY)
    await answer('ab')
    expect(shown).toEqual([null, 'scored ab'])
  })

  it('asks nothing once stopped', async () => {
    preview.update('bye')
    preview.stop()
    await vi.advanceTimersByTimeAsync(DELAY * 3)
    expect(asked).toEqual([])
  })
})
