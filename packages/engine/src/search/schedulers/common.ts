import type { Direction, StoredTrial } from "../types.ts";

/**
 * A trial's value at a fidelity milestone: the first intermediate value reported at a step >= the
 * milestone, so trials that report every few epochs still meet every rung.
 */
export function valueAtMilestone(trial: StoredTrial, milestone: number): number | undefined {
  let best: [number, number] | undefined;
  for (const point of trial.intermediate ?? []) {
    if (point[0] >= milestone && (best === undefined || point[0] < best[0])) best = point;
  }
  return best?.[1];
}

/** Milestones crossed by a report at `step`, given the trial's earlier reports. */
export function crossedMilestones(trial: StoredTrial, step: number, milestones: readonly number[]): number[] {
  let previous = Number.NEGATIVE_INFINITY;
  for (const [s] of trial.intermediate ?? []) if (s < step && s > previous) previous = s;
  return milestones.filter((m) => m > previous && m <= step);
}

/** Values other trials recorded at a milestone (the trial being judged excluded). */
export function competitorValues(
  all: readonly StoredTrial[],
  self: StoredTrial,
  milestone: number,
): number[] {
  const values: number[] = [];
  for (const t of all) {
    if (t.number === self.number) continue;
    const v = valueAtMilestone(t, milestone);
    if (v !== undefined && Number.isFinite(v)) values.push(v);
  }
  return values;
}

/** Linear-interpolation percentile (numpy's default), q in [0, 100]. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Converts to a value where smaller is better. */
export function asLoss(value: number, direction: Direction): number {
  return direction === "maximize" ? -value : value;
}

/** Geometric rungs base * eta^k that stay below `maxT` (inclusive when `inclusive`). */
export function geometricRungs(base: number, eta: number, maxT: number, inclusive = false): number[] {
  const rungs: number[] = [];
  for (let r = base; inclusive ? r <= maxT : r < maxT; r *= eta) rungs.push(r);
  return rungs;
}
