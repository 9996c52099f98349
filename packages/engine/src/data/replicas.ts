import { deriveSeed, Stream, TrialRng } from "../rng.ts";
import type { Dataset } from "./dataset.ts";

/** Monte-Carlo pseudo-data D_r = D + L z_r, z_r ~ N(0, 1), from replica r's own stream. */
export function pseudoData(ds: Dataset, seed: number, replica: number): Float64Array {
  const n = ds.nPoints;
  const rng = new TrialRng(deriveSeed(seed, Stream.pseudoData, replica));
  const z = Array.from({ length: n }, () => rng.normal());
  return ds.chol.lowerTimes(z, ds.central);
}

/**
 * Replica r's training mask: within each sub-dataset, a seeded fraction of points is training and the
 * rest validation (at least one of each when the sub-dataset has two points or more).
 */
export function trainingSplit(ds: Dataset, seed: number, replica: number, fraction = 0.75): Uint8Array {
  const rng = new TrialRng(deriveSeed(seed, Stream.split, replica));
  const mask = new Uint8Array(ds.nPoints);
  for (const s of ds.subsets) {
    const idx = rng.shuffle([...s.indices]);
    let nTrain = Math.round(fraction * idx.length);
    if (idx.length >= 2) nTrain = Math.min(idx.length - 1, Math.max(1, nTrain));
    else nTrain = idx.length;
    for (let a = 0; a < nTrain; a++) mask[idx[a]!] = 1;
  }
  return mask;
}

/**
 * Partition the sub-datasets that are not always fitted into k folds (seeded shuffle, round-robin).
 * Returns, per fold, the held-out sub-dataset indices. k = 1 means no held-out fold.
 */
export function assignFolds(ds: Dataset, k: number, seed: number): number[][] {
  if (k <= 1) return [[]];
  const foldable = ds.subsets.map((s, i) => (s.alwaysFitted ? -1 : i)).filter((i) => i >= 0);
  if (foldable.length < k)
    throw new Error(
      `folds: ${k} folds need at least ${k} sub-datasets that are not always fitted (have ${foldable.length})`,
    );
  const order = new TrialRng(deriveSeed(seed, Stream.folds)).shuffle(foldable);
  const folds: number[][] = Array.from({ length: k }, () => []);
  order.forEach((si, i) => {
    folds[i % k]!.push(si);
  });
  for (const f of folds) f.sort((a, b) => a - b);
  return folds;
}

/** Points of the held-out sub-datasets of a fold. */
export function foldPoints(ds: Dataset, heldOut: number[]): number[] {
  return heldOut.flatMap((si) => ds.subsets[si]!.indices).sort((a, b) => a - b);
}
