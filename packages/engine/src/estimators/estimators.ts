import type { PointSet } from "../data/covariance.ts";

/**
 * Ensemble estimators of METHOD.md §4, in float64. `preds[r]` is replica r's prediction on all data
 * points; a PointSet carries the fold's points and their covariance factor.
 */

export function meanPrediction(preds: readonly ArrayLike<number>[]): Float64Array {
  const n = preds[0]?.length ?? 0;
  const m = new Float64Array(n);
  for (const p of preds) for (let i = 0; i < n; i++) m[i]! += p[i]! / preds.length;
  return m;
}

/** Mean of the best `fraction` of values (NNPDF's average_best keeps the best 90% of replicas). */
export function averageBest(values: readonly number[], fraction = 0.9): number {
  const sorted = [...values].sort((a, b) => a - b);
  const keep = Math.max(1, Math.round(fraction * sorted.length));
  return mean(sorted.slice(0, keep));
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

export function std(values: readonly number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
}

export interface FoldEstimators {
  /** chi2_k(T_r, D) per replica. */
  replicaChi2: number[];
  /** ⟨chi2_k⟩_rep (mean, or average_best when asked). */
  meanChi2: number;
  /** chi2_k(⟨T⟩, D). */
  centralChi2: number;
  /** phi2_k = ⟨chi2_k⟩_rep − chi2_k[⟨T⟩] (plain mean over replicas). */
  phi2: number;
}

export function foldEstimators(
  set: PointSet,
  preds: readonly ArrayLike<number>[],
  data: ArrayLike<number>,
  opts: { averageBest?: boolean } = {},
): FoldEstimators {
  const replicaChi2 = preds.map((p) => set.chi2(p, data));
  const central = meanPrediction(preds);
  const centralChi2 = set.chi2(central, data);
  const plain = mean(replicaChi2);
  return {
    replicaChi2,
    meanChi2: opts.averageBest ? averageBest(replicaChi2) : plain,
    centralChi2,
    phi2: plain - centralChi2,
  };
}

/** phi2 through the spread: mean_r (T_r − ⟨T⟩)ᵀ C⁻¹ (T_r − ⟨T⟩) / N (equal to the difference above). */
export function phi2Spread(set: PointSet, preds: readonly ArrayLike<number>[]): number {
  const central = meanPrediction(preds);
  return mean(preds.map((p) => set.chi2(p, central)));
}

export type FoldStatistic = "average" | "best_worst" | "std";

export function foldStatistic(values: readonly number[], stat: FoldStatistic): number {
  switch (stat) {
    case "average":
      return mean(values);
    case "best_worst":
      return Math.max(...values);
    case "std":
      return std(values);
  }
}

export interface TrialLosses {
  L1: number;
  L2: number;
  L3: number;
  phi2: number;
}

/**
 * The smallest phi2 that L3 divides by. An ensemble with no spread (one replica, or identical
 * replicas) has phi2 = 0, or a rounding residue of either sign from ⟨chi2⟩ − chi2[⟨T⟩]; 1/phi2 would
 * be ±∞ (not storable: JSON writes it as null) or a meaningless huge number. Any phi2 at or below
 * the floor scores L3 = L3_MAX, the worst value, since a wider ensemble always scores lower.
 */
export const PHI2_FLOOR = 1e-12;
export const L3_MAX = 1 / PHI2_FLOOR;

/** L3 = 1 / max(phi2, PHI2_FLOOR): finite for every finite phi2, at most L3_MAX. */
export function l3FromPhi2(phi2: number): number {
  return 1 / Math.max(phi2, PHI2_FLOOR);
}

export function trialLosses(folds: readonly { meanChi2: number; phi2: number }[]): TrialLosses {
  const chi2 = folds.map((f) => f.meanChi2);
  const phi2 = mean(folds.map((f) => f.phi2));
  return { L1: mean(chi2), L2: Math.max(...chi2), L3: l3FromPhi2(phi2), phi2 };
}

/** Closure estimators on a set: bias = chi2(⟨T⟩, T_true), variance = mean_r chi2(T_r, ⟨T⟩). */
export function closureEstimators(
  set: PointSet,
  preds: readonly ArrayLike<number>[],
  truth: ArrayLike<number>,
): { bias: number; variance: number } {
  const central = meanPrediction(preds);
  return { bias: set.chi2(central, truth), variance: phi2Spread(set, preds) };
}

export interface TrialSummary {
  id: string;
  L1: number;
  phi2: number;
}

/**
 * NNPDF's best-chi2/worst-phi2 rule: among trials with L1 in [min L1, min L1 + std(L1)], pick the one
 * with the largest phi2 (the most conservative ensemble). `top10` lists that window by phi2, largest
 * first.
 */
export function selectConfiguration(trials: readonly TrialSummary[]): {
  argmin: string;
  selected: string;
  window: [number, number];
  top10: string[];
} {
  const ok = trials.filter((t) => Number.isFinite(t.L1));
  if (ok.length === 0) throw new Error("trials: no completed trial with a finite L1");
  const best = ok.reduce((a, b) => (b.L1 < a.L1 ? b : a));
  const window: [number, number] = [best.L1, best.L1 + std(ok.map((t) => t.L1))];
  const inWindow = ok
    .filter((t) => t.L1 <= window[1])
    .sort(
      (a, b) =>
        (Number.isFinite(b.phi2) ? b.phi2 : -Infinity) - (Number.isFinite(a.phi2) ? a.phi2 : -Infinity),
    );
  return {
    argmin: best.id,
    selected: inWindow[0]!.id,
    window,
    top10: inWindow.slice(0, 10).map((t) => t.id),
  };
}
