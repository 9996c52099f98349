// Test helpers for external trials: seeded ensemble predictions and an independent float64 reference
// of the losses (dense Gaussian elimination, not the engine's block Cholesky), shared by the
// platform's and the REST layer's end-to-end tests.

/** Seeded replica predictions: the data plus a replica-specific smooth offset and noise, in float64. */
export function predictionsFor(
  central: number[],
  errors: number[],
  replicas: number,
  folds: number,
  seed: number,
) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return Array.from({ length: folds }, () => ({
    replicas: Array.from({ length: replicas }, () => {
      const shift = uniform();
      return central.map((d, i) => d + errors[i]! * (shift + 1.5 * uniform()));
    }),
  }));
}

/** χ² = rᵀ C⁻¹ r / N by dense Gaussian elimination (partial pivoting): independent of the engine's block Cholesky. */
export function referenceChi2(
  cov: (i: number, j: number) => number,
  points: number[],
  t: number[],
  d: number[],
): number {
  const n = points.length;
  const a = points.map((i) => points.map((j) => cov(i, j)));
  const r = points.map((i) => t[i]! - d[i]!);
  const x = [...r];
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let k = c + 1; k < n; k++) if (Math.abs(a[k]![c]!) > Math.abs(a[p]![c]!)) p = k;
    [a[c], a[p]] = [a[p]!, a[c]!];
    [x[c], x[p]] = [x[p]!, x[c]!];
    for (let k = c + 1; k < n; k++) {
      const f = a[k]![c]! / a[c]![c]!;
      for (let j = c; j < n; j++) a[k]![j]! -= f * a[c]![j]!;
      x[k]! -= f * x[c]!;
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    let v = x[c]!;
    for (let j = c + 1; j < n; j++) v -= a[c]![j]! * x[j]!;
    x[c] = v / a[c]![c]!;
  }
  return r.reduce((sum, ri, k) => sum + ri * x[k]!, 0) / n;
}

/** L1, φ² and per-fold ⟨χ²⟩ of predictions on the folds' held-out points (METHOD.md §4), by the reference χ². */
export function referenceLosses(
  cov: (i: number, j: number) => number,
  points: { central: number[]; folds?: { heldOut: number[] }[] },
  predictions: { replicas: number[][] }[],
) {
  const avg = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const folds = points.folds ?? [];
  const chi2s = folds.map((fold, k) =>
    predictions[k]!.replicas.map((p) => referenceChi2(cov, fold.heldOut, p, points.central)),
  );
  const centralChi2 = folds.map((fold, k) => {
    const reps = predictions[k]!.replicas;
    const mean = points.central.map((_, i) => reps.reduce((s, p) => s + p[i]!, 0) / reps.length);
    return referenceChi2(cov, fold.heldOut, mean, points.central);
  });
  return {
    L1: avg(chi2s.map(avg)),
    phi2: avg(chi2s.map((c, k) => avg(c) - centralChi2[k]!)),
    foldChi2: chi2s.map(avg),
  };
}
