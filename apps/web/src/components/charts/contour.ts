/**
 * The objective over two parameters as a heat map: the plane is cut into nx × ny equal cells (equal in
 * log10 on a log axis) and each cell holds the mean objective of the trials that fall in it. Empty
 * cells stay empty (null): the map shows where the search has been, and does not invent values.
 */
export interface ContourCell {
  i: number;
  j: number;
  /** The cell's edges in parameter units (so a log axis gets decade-aligned edges back). */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  mean: number | null;
  count: number;
}

export interface ContourAxis {
  domain: [number, number];
  log: boolean;
  bins: number;
}

const fwd = (a: ContourAxis, v: number) => (a.log ? Math.log10(v) : v);
const back = (a: ContourAxis, t: number) => (a.log ? 10 ** t : t);

/** The bin of `v` on an axis, or null outside it (the top edge belongs to the last bin). */
export function binOf(a: ContourAxis, v: number): number | null {
  if (!Number.isFinite(v) || (a.log && v <= 0)) return null;
  const [lo, hi] = [fwd(a, a.domain[0]), fwd(a, a.domain[1])];
  const t = fwd(a, v);
  if (t < lo || t > hi || hi <= lo) return null;
  return Math.min(a.bins - 1, Math.floor(((t - lo) / (hi - lo)) * a.bins));
}

export function contourGrid(
  points: readonly { x: number; y: number; z: number }[],
  xAxis: ContourAxis,
  yAxis: ContourAxis,
): ContourCell[] {
  const sum = new Float64Array(xAxis.bins * yAxis.bins);
  const count = new Uint32Array(xAxis.bins * yAxis.bins);
  for (const p of points) {
    const i = binOf(xAxis, p.x);
    const j = binOf(yAxis, p.y);
    if (i === null || j === null || !Number.isFinite(p.z)) continue;
    sum[j * xAxis.bins + i]! += p.z;
    count[j * xAxis.bins + i]! += 1;
  }
  const edge = (a: ContourAxis, k: number) => {
    const [lo, hi] = [fwd(a, a.domain[0]), fwd(a, a.domain[1])];
    return back(a, lo + ((hi - lo) * k) / a.bins);
  };
  const cells: ContourCell[] = [];
  for (let j = 0; j < yAxis.bins; j++)
    for (let i = 0; i < xAxis.bins; i++) {
      const n = count[j * xAxis.bins + i]!;
      cells.push({
        i,
        j,
        x0: edge(xAxis, i),
        x1: edge(xAxis, i + 1),
        y0: edge(yAxis, j),
        y1: edge(yAxis, j + 1),
        mean: n > 0 ? sum[j * xAxis.bins + i]! / n : null,
        count: n,
      });
    }
  return cells;
}

/** Bins for a parameter: one per value for a small int range (cells never split an integer), else `fallback`. */
export function binsFor(type: string, domain: [number, number], fallback = 12): number {
  if (type === "int") {
    const span = Math.round(domain[1] - domain[0]) + 1;
    if (span >= 1 && span <= fallback * 2) return span;
  }
  return fallback;
}

/** A sequential colour for t in [0, 1] (low objective = dark blue, high = pale yellow): viridis-like stops. */
export function heatColour(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ] as const;
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const k = Math.min(stops.length - 2, Math.floor(u));
  const f = u - k;
  const [a, b] = [stops[k]!, stops[k + 1]!];
  const c = (m: number) => Math.round(a[m]! + (b[m]! - a[m]!) * f);
  return `rgb(${c(0)},${c(1)},${c(2)})`;
}
