// A sparkline's geometry: values (null for a gap) spread evenly across the
// width, `min` at the bottom and `max` at the top. Gaps are joined over, so
// a person who skipped a run still has one line.

/** One line: a person's values, oldest first. */
export interface SparkSeries {
  key: string
  /** Who it is, for the line's tooltip. */
  name: string
  /** The viewer's own line is drawn apart from the other's. */
  mine: boolean
  values: readonly (number | null)[]
}

export interface SparkBox {
  width: number
  height: number
  min: number
  max: number
  /** Room kept on every side, for the stroke and the end dot. */
  pad: number
}

export interface SparkPoint {
  x: number
  y: number
}

const round = (value: number) => Math.round(value * 10) / 10

/** Where each value goes (gaps left out), in the order of `values`. */
export function sparkPoints(values: readonly (number | null)[], box: SparkBox): SparkPoint[] {
  const innerWidth = box.width - 2 * box.pad
  const innerHeight = box.height - 2 * box.pad
  const span = box.max - box.min || 1
  const step = values.length > 1 ? innerWidth / (values.length - 1) : 0
  const points: SparkPoint[] = []
  values.forEach((value, index) => {
    if (value === null) return
    const clamped = Math.min(box.max, Math.max(box.min, value))
    const x = values.length > 1 ? box.pad + index * step : box.width / 2
    points.push({ x: round(x), y: round(box.pad + ((box.max - clamped) / span) * innerHeight) })
  })
  return points
}

/** The `d` of an SVG path through the points; "" for none. */
export function sparkPath(points: readonly SparkPoint[]): string {
  return points.map((point, index) => `${index ? 'L' : 'M'}${point.x} ${point.y}`).join(' ')
}

/** The height at which `value` is drawn (the zero line). */
export function sparkY(value: number, box: SparkBox): number {
  const span = box.max - box.min || 1
  return round(box.pad + ((box.max - value) / span) * (box.height - 2 * box.pad))
}
