/**
 * How far a result is from its reference, as the engine's tests measure it: the largest absolute
 * difference over the largest reference magnitude. Relative to the reference's scale, not entry by
 * entry, so entries near zero (float32 rounding of a cancelling sum) do not dominate.
 */

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
