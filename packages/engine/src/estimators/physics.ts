import { PointSet } from "../data/covariance.ts";
import type { Dataset } from "../data/dataset.ts";
import { mean, meanPrediction } from "./estimators.ts";
import type { SubsetChi2 } from "./physicsSchema.ts";

export { PHYSICS_LIMITS, type PhysicsFields, physicsFieldsSchema, type SubsetChi2 } from "./physicsSchema.ts";

/**
 * Per-sub-dataset χ²/N of an ensemble: `predictions[k * R + r]` is replica r of fold k at every data
 * point (member order of train/members.ts buildMembers), `folds[k]` the sub-datasets fold k held out.
 */
export function subsetChi2(
  ds: Dataset,
  folds: readonly (readonly number[])[],
  predictions: readonly ArrayLike<number>[],
): SubsetChi2[] {
  const K = Math.max(1, folds.length);
  const R = predictions.length / K;
  const byFold = Array.from({ length: K }, (_, k) => predictions.slice(k * R, (k + 1) * R));
  const centrals = byFold.map((preds) => meanPrediction(preds));
  return ds.subsets.map((subset, j) => {
    const set = new PointSet(subset.indices, ds.cov);
    const score = (k: number) => ({
      central: set.chi2(centrals[k]!, ds.central),
      replica: mean(byFold[k]!.map((p) => set.chi2(p, ds.central))),
    });
    const fitted: { central: number; replica: number }[] = [];
    let heldOut: { central: number; replica: number } | null = null;
    for (let k = 0; k < K; k++) {
      if (folds[k]?.includes(j)) heldOut = score(k);
      else fitted.push(score(k));
    }
    return {
      name: subset.name,
      points: subset.indices.length,
      training: fitted.length
        ? { central: mean(fitted.map((f) => f.central)), replica: mean(fitted.map((f) => f.replica)) }
        : null,
      heldOut,
    };
  });
}
