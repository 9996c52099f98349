import { PointSet } from "../data/covariance.ts";
import type { Dataset } from "../data/dataset.ts";
import { foldPoints } from "../data/replicas.ts";
import {
  closureEstimators,
  type FoldStatistic,
  foldEstimators,
  foldStatistic,
  mean,
  meanPrediction,
  phi2Spread,
  type TrialLosses,
  trialLosses,
} from "./estimators.ts";

/** What the estimators of METHOD.md §4 make of a trial's ensemble (runner or external trainer). */
export interface EnsembleScore extends TrialLosses {
  foldChi2: number[];
  foldPhi2: number[];
  foldCentralChi2: number[];
  replicaChi2: number[];
  closure?: { bias: number; variance: number; ratio: number };
  /** Fold statistics of ⟨chi2_k⟩_rep and phi2_k: average, best_worst (max), std. */
  foldStats: Record<"chi2" | "phi2", Record<FoldStatistic, number>>;
}

/**
 * Scores an ensemble's predictions at the dataset's points: `predictions[k * R + r]` is replica r
 * of fold k (held-out sub-datasets `folds[k]`), `validation[k * R + r]` that member's validation
 * points (used only for a fold without held-out sub-datasets, i.e. folds = 1). The one home of the
 * scoring for the runners (trial.ts scoreEnsemble) and for external trials told as predictions.
 */
export function scoreFoldPredictions(
  ds: Dataset,
  folds: readonly (readonly number[])[],
  predictions: readonly ArrayLike<number>[],
  validation: readonly (readonly number[])[],
  averageBest = false,
): EnsembleScore {
  const R = predictions.length / Math.max(1, folds.length);
  const all = new PointSet(
    Array.from({ length: ds.nPoints }, (_, i) => i),
    ds.cov,
  );
  const scored = folds.map((heldOut, k) => {
    const preds = predictions.slice(k * R, (k + 1) * R);
    if (heldOut.length > 0) {
      const set = new PointSet(foldPoints(ds, [...heldOut]), ds.cov);
      const est = foldEstimators(set, preds, ds.central, { averageBest });
      const closure = ds.truth ? closureEstimators(set, preds, ds.truth) : undefined;
      return { ...est, closure };
    }
    // No held-out fold: each replica is scored on its own validation points; the central chi2 and
    // phi2 (spread identity) use all points, the only set common to every replica.
    const replicaChi2 = preds.map((p, i) => {
      const points = validation[k * R + i] ?? [];
      return points.length ? new PointSet(points, ds.cov).chi2(p, ds.central) : Number.NaN;
    });
    const valid = replicaChi2.filter(Number.isFinite);
    const sorted = [...valid].sort((a, b) => a - b);
    const meanChi2 = averageBest
      ? mean(sorted.slice(0, Math.max(1, Math.round(0.9 * sorted.length))))
      : mean(valid);
    const centralChi2 = all.chi2(meanPrediction(preds), ds.central);
    const closure = ds.truth ? closureEstimators(all, preds, ds.truth) : undefined;
    return { replicaChi2, meanChi2, centralChi2, phi2: phi2Spread(all, preds), closure };
  });
  const score: EnsembleScore = {
    ...trialLosses(scored),
    foldChi2: scored.map((f) => f.meanChi2),
    foldPhi2: scored.map((f) => f.phi2),
    foldCentralChi2: scored.map((f) => f.centralChi2),
    replicaChi2: Array.from({ length: R }, (_, r) => mean(scored.map((f) => f.replicaChi2[r]!))),
    foldStats: {
      chi2: statistics(scored.map((f) => f.meanChi2)),
      phi2: statistics(scored.map((f) => f.phi2)),
    },
  };
  if (ds.truth) {
    const bias = mean(scored.map((f) => f.closure!.bias));
    const variance = mean(scored.map((f) => f.closure!.variance));
    score.closure = { bias, variance, ratio: bias / variance };
  }
  return score;
}

export function statistics(values: number[]): Record<FoldStatistic, number> {
  return {
    average: foldStatistic(values, "average"),
    best_worst: foldStatistic(values, "best_worst"),
    std: foldStatistic(values, "std"),
  };
}
