/**
 * How far a result is from its reference, as the engine's tests measure it: the largest absolute
 * difference over the largest reference magnitude. Relative to the reference's scale, not entry by
 * entry, so entries near zero (float32 rounding of a cancelling sum) do not dominate.
 */

import type { KernelSpec, TrainingKernel } from "../kernel/kernel.ts";
import type { OptimiserConfig } from "../train/optimisers.ts";
import { referenceChi2Training } from "./training.ts";

/** Largest |a − b| / largest |b| over lists of arrays compared as one (a[s] against b[s]). */
export function relDiff(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  let diff = 0;
  let scale = 0;
  a.forEach((x, s) => {
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(x[i]! - b[s]![i]!));
      scale = Math.max(scale, Math.abs(b[s]![i]!));
    }
  });
  return diff / scale;
}

/** Largest |a − b| / largest |b| over one pair of arrays. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return relDiff([a], [b]);
}

/**
 * A kernel stepped one epoch at a time against referenceChi2Training of its own spec: the worst
 * relDiff of its training and validation chi2 over `epochs` epochs, and the epoch counter each state
 * reported. The reference sees the data as the kernels store it (rounded to float32).
 */
export async function chi2AgainstReference(
  kernel: TrainingKernel,
  spec: KernelSpec,
  optimiser: OptimiserConfig,
  positivity: number,
  epochs: number,
): Promise<{ worst: number; epochs: number[] }> {
  const members = spec.members.map((m) => ({
    ...m.member,
    data: Float64Array.from(Float32Array.from(m.member.data)),
  }));
  const ref = referenceChi2Training(
    { task: spec.task, arch: spec.arch, layout: spec.layout, members, params: spec.params, positivity },
    members.map(() => optimiser),
    epochs,
  );
  let worst = 0;
  const seen: number[] = [];
  for (let e = 0; e < epochs; e++) {
    await kernel.step(1);
    const st = await kernel.state();
    seen.push(st.epoch);
    worst = Math.max(worst, relDiff([st.train, st.validation], [ref.train[e]!, ref.validation[e]!]));
  }
  return { worst, epochs: seen };
}
