/** Multi-objective helpers: Pareto dominance, non-dominated sorting, crowding distance, scalarisation. */
import type { Direction, StoredTrial } from "./types.ts";

/** True when loss vector a is no worse than b everywhere and better somewhere (all minimised). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) better = true;
  }
  return better;
}

/** Fast non-dominated sort (Deb et al. 2002): fronts of indices, best front first. */
export function nonDominatedSort(points: readonly (readonly number[])[]): number[][] {
  const n = points.length;
  const dominatedBy = Array.from({ length: n }, () => [] as number[]);
  const count = new Array<number>(n).fill(0);
  const fronts: number[][] = [[]];
  for (let p = 0; p < n; p++) {
    for (let q = 0; q < n; q++) {
      if (p === q) continue;
      if (dominates(points[p]!, points[q]!)) dominatedBy[p]!.push(q);
      else if (dominates(points[q]!, points[p]!)) count[p]! += 1;
    }
    if (count[p] === 0) fronts[0]!.push(p);
  }
  for (let i = 0; fronts[i]!.length > 0; i++) {
    const next: number[] = [];
    for (const p of fronts[i]!) {
      for (const q of dominatedBy[p]!) {
        count[q]! -= 1;
        if (count[q] === 0) next.push(q);
      }
    }
    fronts.push(next);
  }
  fronts.pop();
  return fronts;
}

/** Crowding distance of each member of one front (boundary points get Infinity). */
export function crowdingDistance(
  points: readonly (readonly number[])[],
  front: readonly number[],
): Map<number, number> {
  const distance = new Map<number, number>(front.map((i) => [i, 0]));
  if (front.length === 0) return distance;
  const m = points[front[0]!]!.length;
  for (let k = 0; k < m; k++) {
    const sorted = [...front].sort((a, b) => points[a]![k]! - points[b]![k]!);
    const lo = points[sorted[0]!]![k]!;
    const hi = points[sorted[sorted.length - 1]!]![k]!;
    distance.set(sorted[0]!, Number.POSITIVE_INFINITY);
    distance.set(sorted[sorted.length - 1]!, Number.POSITIVE_INFINITY);
    if (hi === lo) continue;
    for (let i = 1; i < sorted.length - 1; i++) {
      const gap = (points[sorted[i + 1]!]![k]! - points[sorted[i - 1]!]![k]!) / (hi - lo);
      distance.set(sorted[i]!, distance.get(sorted[i]!)! + gap);
    }
  }
  return distance;
}

/** Objective vector of a finished trial as losses (maximised objectives negated). */
export function lossVector(trial: StoredTrial, directions: readonly Direction[]): number[] | undefined {
  const values = trial.values ?? (trial.value !== undefined ? [trial.value] : undefined);
  if (trial.state !== "COMPLETE" || !values || values.length !== directions.length) return undefined;
  if (!values.every(Number.isFinite)) return undefined;
  return values.map((v, i) => (directions[i] === "maximize" ? -v : v));
}

/** Completed trials on the Pareto front, in trial order. */
export function paretoFront(trials: readonly StoredTrial[], directions: readonly Direction[]): StoredTrial[] {
  const done = trials.flatMap((t) => {
    const loss = lossVector(t, directions);
    return loss ? [{ t, loss }] : [];
  });
  return done
    .filter((a) => !done.some((b) => dominates(b.loss, a.loss)))
    .map((a) => a.t)
    .sort((a, b) => a.number - b.number);
}

/**
 * Scalarises losses for single-objective samplers: weighted sum, or augmented Chebyshev (which can
 * reach non-convex parts of the front) against the ideal point `ideal`.
 */
export function scalarize(
  loss: readonly number[],
  weights: readonly number[],
  kind: "weighted-sum" | "chebyshev" = "chebyshev",
  ideal: readonly number[] = loss.map(() => 0),
): number {
  if (kind === "weighted-sum") return loss.reduce((a, v, i) => a + weights[i]! * v, 0);
  let worst = Number.NEGATIVE_INFINITY;
  let sum = 0;
  loss.forEach((v, i) => {
    const d = weights[i]! * (v - ideal[i]!);
    worst = Math.max(worst, d);
    sum += d;
  });
  return worst + 0.05 * sum;
}
