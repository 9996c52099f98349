import { type PhysicsFields, physicsFieldsSchema, type SubsetChi2 } from "@hyperensemble/engine/physics";

// Pure computations behind the physics panels (pulls, χ²/N rows, ratios to truth), unit-tested
// beside this file; the components only draw what these return.

export interface DataComparison {
  x: number[];
  central: number[];
  error: number[];
  prediction: number[];
  subsets?: { name: string; start: number; end: number }[];
}

export interface StoredBand {
  name: string;
  mean: number[];
  lower: number[];
  upper: number[];
  truth?: number[];
  replicas?: number[][];
}

/** The `predictions` JSON of a stored result, as the physics views read it. */
export interface StoredPredictions extends PhysicsFields {
  x: number[];
  xLabel?: string;
  flavours: StoredBand[];
  data?: DataComparison;
}

/**
 * The physics fields of a stored `predictions` JSON, or none when they are absent or malformed (a
 * result written before they existed, or by an external trainer): the panels then say so.
 */
export function physicsFields(predictions: unknown): PhysicsFields {
  const parsed = physicsFieldsSchema.safeParse(predictions ?? {});
  return parsed.success ? parsed.data : {};
}

/** Pull of each point, (data − prediction) / error; points without a positive error are left out. */
export function pulls(d: Pick<DataComparison, "central" | "error" | "prediction">): number[] {
  const out: number[] = [];
  d.central.forEach((c, i) => {
    const e = d.error[i];
    const p = d.prediction[i];
    if (e === undefined || p === undefined || !(e > 0)) return;
    const v = (c - p) / e;
    if (Number.isFinite(v)) out.push(v);
  });
  return out;
}

export interface PullHistogram {
  /** Bin edges lo..hi, width `width`; density = count / (n · width), comparable to the normal pdf. */
  bins: { lo: number; hi: number; count: number; density: number }[];
  width: number;
  n: number;
  /** Pulls below the first or above the last edge (counted in n, drawn as a note). */
  underflow: number;
  overflow: number;
  mean: number;
  /** √(mean of pull²): 1 for faithful errors. */
  rms: number;
}

/**
 * Pulls in fixed bins of `width` over [−limit, limit] (default 0.5 over ±4), so histograms of
 * different trials compare bin by bin; values outside are counted as under/overflow.
 */
export function pullHistogram(values: readonly number[], width = 0.5, limit = 4): PullHistogram {
  const nBins = Math.round((2 * limit) / width);
  const counts = new Array<number>(nBins).fill(0);
  let underflow = 0;
  let overflow = 0;
  for (const v of values) {
    if (v < -limit) underflow++;
    else if (v >= limit) overflow++;
    else counts[Math.min(nBins - 1, Math.floor((v + limit) / width))]! += 1;
  }
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : Number.NaN;
  const rms = n ? Math.sqrt(values.reduce((a, b) => a + b * b, 0) / n) : Number.NaN;
  return {
    bins: counts.map((count, i) => ({
      lo: -limit + i * width,
      hi: -limit + (i + 1) * width,
      count,
      density: n ? count / (n * width) : 0,
    })),
    width,
    n,
    underflow,
    overflow,
    mean,
    rms,
  };
}

/** The unit normal's density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** The data comparison cut into its experiments (sub-datasets); one experiment when none are named. */
export function experiments(d: DataComparison): { name: string; points: number[] }[] {
  const subsets = d.subsets?.length ? d.subsets : [{ name: "data", start: 0, end: d.central.length }];
  return subsets
    .map((s) => ({
      name: s.name,
      points: Array.from({ length: Math.max(0, s.end - s.start) }, (_, i) => s.start + i).filter(
        (i) => i < d.central.length,
      ),
    }))
    .filter((e) => e.points.length > 0);
}

/**
 * χ²/N of the whole fitted and held-out sets from the per-sub-dataset rows, weighted by points (χ²
 * adds over uncorrelated sub-datasets); null where no row has the value.
 */
export function pooledChi2(
  rows: readonly SubsetChi2[],
  part: "training" | "heldOut",
  kind: "central" | "replica",
) {
  let sum = 0;
  let n = 0;
  for (const r of rows) {
    const v = r[part];
    if (!v) continue;
    sum += v[kind] * r.points;
    n += r.points;
  }
  return n ? sum / n : null;
}

/**
 * A band and its replica curves divided by the truth, point by point, for the ratio panel; points
 * where the truth is (nearly) zero give NaN, which the plot leaves as a gap.
 */
export function ratioToTruth(band: StoredBand): StoredBand | null {
  const truth = band.truth;
  if (!truth) return null;
  const scaleOf = Math.max(...truth.map(Math.abs), 0);
  const div = (vs: readonly number[]) =>
    vs.map((v, i) => {
      const t = truth[i]!;
      return Math.abs(t) > 1e-9 * scaleOf ? v / t : Number.NaN;
    });
  return {
    name: `${band.name} / truth`,
    mean: div(band.mean),
    lower: div(band.lower),
    upper: div(band.upper),
    truth: truth.map((t) => (Math.abs(t) > 1e-9 * scaleOf ? 1 : Number.NaN)),
    ...(band.replicas ? { replicas: band.replicas.map(div) } : {}),
  };
}

/** The closure estimators of a result, with their ratio; null without a truth. */
export function closureOf(r: { closureBias: number | null; closureVariance: number | null }) {
  if (r.closureBias == null || r.closureVariance == null) return null;
  return {
    bias: r.closureBias,
    variance: r.closureVariance,
    ratio: r.closureVariance > 0 ? r.closureBias / r.closureVariance : null,
  };
}
