import type { TrialRng } from "../rng.ts";

/**
 * One epoch of one member's dropout masks, the one drawer every kernel uses (kernel.ts, "Dropout
 * streams"): hidden layer after hidden layer, `rows × units` values in row-major order [g][unit],
 * each 1/keep with probability keep = 1 − rate, else 0, written to out[at …]. A member with rate 0
 * draws nothing and gets ones.
 */
export function drawDropoutMasks(
  rng: TrialRng,
  rate: number,
  rows: number,
  hidden: readonly number[],
  out: Float32Array,
  at = 0,
): void {
  const n = rows * hidden.reduce((a, b) => a + b, 0);
  if (!(rate > 0)) {
    out.fill(1, at, at + n);
    return;
  }
  const keep = 1 - rate;
  const scale = 1 / keep;
  for (let i = 0; i < n; i++) out[at + i] = rng.nextUint32() / 4294967296 < keep ? scale : 0;
}
