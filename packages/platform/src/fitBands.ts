/**
 * What the fit page and the fit comparison draw, from a completed fit's artifact (fitTrain.ts's
 * FitOutcome): per output, over the kept replicas, the central value (replica mean), the 1σ band
 * (mean ± sample standard deviation) and the 68% band (16th–84th percentiles), on the grid sorted by
 * x; and NNPDF's distance between two fits' central values in units of their uncertainty. Pure and
 * engine-free, so the web's server and tests load it without TensorFlow.js.
 */

/** The part of FitOutcome the bands need (the artifact as stored: NaN written as null). */
export interface FitArtifactView {
  outputs: (number | null)[][];
  x: number[];
  outputNames: string[];
  truth?: number[][];
  replicas: { replica: number }[];
  selection: { kept: number[] };
}

export interface OutputBand {
  name: string;
  mean: number[];
  /** Sample standard deviation over the kept replicas (0 with one replica). */
  sd: number[];
  lower68: number[];
  upper68: number[];
  /** The true output (closure data and theories that carry it), else absent. */
  truth?: number[];
}

export interface FitBands {
  /** The grid's x, ascending. */
  x: number[];
  /** How many replicas the bands are over (the kept ones). */
  replicas: number;
  outputs: OutputBand[];
}

/** The q-quantile of an ascending array, linear between order statistics (numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function fitBands(a: FitArtifactView): FitBands {
  const F = a.outputNames.length;
  const G = a.x.length;
  const rowOf = new Map(a.replicas.map((r, i) => [r.replica, i]));
  const kept = a.selection.kept
    .map((r) => a.outputs[rowOf.get(r) ?? -1])
    .filter((o): o is (number | null)[] => o !== undefined);
  const order = a.x.map((_, g) => g).sort((i, j) => a.x[i]! - a.x[j]!);
  const N = kept.length;
  const outputs: OutputBand[] = a.outputNames.map((name, f) => {
    const band: OutputBand = { name, mean: [], sd: [], lower68: [], upper68: [] };
    const values = new Float64Array(N);
    for (const g of order) {
      let sum = 0;
      for (let r = 0; r < N; r++) {
        values[r] = kept[r]![g * F + f] ?? Number.NaN;
        sum += values[r]!;
      }
      const mean = sum / N;
      let ss = 0;
      for (let r = 0; r < N; r++) ss += (values[r]! - mean) ** 2;
      values.sort();
      band.mean.push(mean);
      band.sd.push(N > 1 ? Math.sqrt(ss / (N - 1)) : 0);
      band.lower68.push(quantile(values, 0.16));
      band.upper68.push(quantile(values, 0.84));
    }
    if (a.truth && a.truth.length === G) band.truth = order.map((g) => a.truth![g]![f]!);
    return band;
  });
  return { x: order.map((g) => a.x[g]!), replicas: N, outputs };
}

export interface FitDistance {
  x: number[];
  /** Per output present in both fits: d at each grid point (null where both uncertainties are 0). */
  outputs: { name: string; distance: (number | null)[] }[];
}

/**
 * NNPDF's distance between two fits' central values: d(x) = |f̄_a − f̄_b| / sqrt(σ_a²/N_a + σ_b²/N_b),
 * σ the replicas' standard deviation and N their count, so d is the difference in units of the
 * uncertainty of the difference of the two means (d ≈ 1 for two fits of the same distribution).
 * Outputs are matched by name; the two fits must share the grid.
 */
export function fitDistance(a: FitBands, b: FitBands): FitDistance {
  if (
    a.x.length !== b.x.length ||
    a.x.some((v, i) => Math.abs(v - b.x[i]!) > 1e-12 * Math.max(1, Math.abs(v)))
  )
    throw new Error("the two fits are on different x grids: the distance is defined point by point");
  const outputs = a.outputs.flatMap((fa) => {
    const fb = b.outputs.find((o) => o.name === fa.name);
    if (!fb) return [];
    const distance = fa.mean.map((ma, i) => {
      const variance = fa.sd[i]! ** 2 / a.replicas + fb.sd[i]! ** 2 / b.replicas;
      const d = Math.abs(ma - fb.mean[i]!) / Math.sqrt(variance);
      return Number.isFinite(d) ? d : null;
    });
    return [{ name: fa.name, distance }];
  });
  return { x: a.x, outputs };
}
