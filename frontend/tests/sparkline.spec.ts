import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import Sparkline from '../src/components/Sparkline.vue'
import { sparkPath, sparkPoints, sparkY, type SparkBox, type SparkSeries } from '../src/lib/sparkline'

const box: SparkBox = { width: 100, height: 22, min: -1, max: 1, pad: 1 }

describe('sparkline geometry', () => {
  it('spreads the values across the width, the top for max and the bottom for min', () => {
    expect(sparkPoints([1, 0, -1], box)).toEqual([
      { x: 1, y: 1 },
      { x: 50, y: 11 },
      { x: 99, y: 21 },
    ])
  })

  it('leaves gaps out, keeping the others where they belong', () => {
    expect(sparkPoints([null, 0.5, null, -0.5], box).map((point) => point.x)).toEqual([33.7, 99])
  })

  it('puts a lone value in the middle, and clamps what is out of range', () => {
    expect(sparkPoints([3], box)).toEqual([{ x: 50, y: 1 }])
  })

  it('draws a path through the points, and nothing for none', () => {
    expect(sparkPath(sparkPoints([1, -1], box))).toBe('M1 1 L99 21')
    expect(sparkPath([])).toBe('')
    expect(sparkY(0, box)).toBe(11)
  })
})

describe('the Sparkline component', () => {
  const series: SparkSeries[] = [
    { key: '1', name: 'alice', mine: true, values: [0.2, 0.6, 0.9] },
    { key: '2', name: 'bob', mine: false, values: [null, -0.4, -0.8] },
  ]

  it('draws one line per person, with a dot at the newest value', () => {
    const wrapper = mount(Sparkline, { props: { series, width: 100, height: 22 } })
    const lines = wrapper.findAll('[data-testid="sparkline-series"]')
    expect(lines.map((line) => line.attributes('data-person'))).toEqual(['alice', 'bob'])
    expect(lines[0]!.classes()).toContain('mine')
    expect(lines[1]!.find('path').attributes('data-points')).toBe('2')
    expect(lines[1]!.find('path').attributes('d')).toMatch(/^M\S+ \S+ L\S+ \S+$/)
    expect(lines.every((line) => line.find('circle').exists())).toBe(true)
  })

  it('is an image named by its label', () => {
    const wrapper = mount(Sparkline, { props: { series, label: 'Mostly positive, steady.' } })
    const svg = wrapper.get('svg')
    expect(svg.attributes('role')).toBe('img')
    expect(svg.attributes('aria-label')).toBe('Mostly positive, steady.')
    expect(svg.get('title').text()).toBe('Mostly positive, steady.')
  })

  it('is hidden from screen readers without one', () => {
    const svg = mount(Sparkline, { props: { series: [] } }).get('svg')
    expect(svg.attributes('aria-hidden')).toBe('true')
    expect(svg.attributes('role')).toBeUndefined()
    expect(svg.find('path').exists()).toBe(false)
  })
})
