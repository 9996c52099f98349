/**
 * Parzen estimators for TPE, following Optuna 3.1's _ParzenEstimator: a mixture of truncated
 * Gaussians (numeric, on the internal log scale) or smoothed one-hot kernels (categorical), one kernel
 * per observation plus a prior kernel, jointly over a group of parameters.
 */
import type { SearchRng } from "../../rng.ts";
import { logSumExp, normCdf, normLogPdf, normPpf, truncatedMass } from "../stats.ts";

export type Dim = { kind: "numeric"; low: number; high: number } | { kind: "categorical"; n: number };

export interface ParzenOptions {
  priorWeight: number;
  magicClip: boolean;
  multivariate: boolean;
  /**
   * Score each kernel by its unnormalised Gaussian (no 1/sigma), as Optuna 3.1's truncnorm.logpdf
   * does. That favours wide kernels in l(x)/g(x). Default false (true densities); TPE sets it only
   * in its Optuna 3.1 emulation (see docs/search.md).
   */
  widthWeighted?: boolean;
  /**
   * Bandwidth of multivariate kernels: "scott" (Optuna 3.1: 0.2 n^(-1/(d+4)) of the range, the same
   * for every kernel) or "neighbour" (the univariate rule, per dimension: distance to the farther
   * sorted neighbour). Univariate estimators always use the neighbour rule.
   */
  bandwidth?: "scott" | "neighbour";
  /**
   * Observation count in the magic clip's minimum bandwidth range / min(100, 1 + count). Optuna
   * counts this estimator's own kernels; passing the size of the whole ranked history lets the
   * small "below" estimator narrow as the study grows.
   */
  clipCount?: number;
}

interface NumericKernels {
  mus: number[];
  sigmas: number[];
  logMass: number[];
}

export class ParzenEstimator {
  private readonly logWeights: number[];
  private readonly weights: number[];
  private readonly numeric: (NumericKernels | undefined)[] = [];
  private readonly categorical: (number[][] | undefined)[] = [];
  private readonly widthWeighted: boolean;

  /** `observations[i][d]` is observation i's internal value (or choice index) in dimension d. */
  constructor(
    private readonly dims: readonly Dim[],
    observations: readonly number[][],
    obsWeights: readonly number[],
    options: ParzenOptions,
  ) {
    this.widthWeighted = options.widthWeighted ?? false;
    const n = observations.length;
    const w = n === 0 ? [1] : [...obsWeights, options.priorWeight];
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((x) => x / total);
    this.logWeights = this.weights.map(Math.log);
    dims.forEach((dim, d) => {
      const column = observations.map((o) => o[d]!);
      if (dim.kind === "numeric") {
        this.numeric.push(numericKernels(column, dim.low, dim.high, dims.length, options));
        this.categorical.push(undefined);
      } else {
        this.numeric.push(undefined);
        this.categorical.push(categoricalKernels(column, dim.n, options.priorWeight));
      }
    });
  }

  get kernelCount(): number {
    return this.weights.length;
  }

  sample(rng: SearchRng): number[] {
    const k = rng.choiceWeighted(this.weights);
    return this.dims.map((dim, d) => {
      if (dim.kind === "categorical") return rng.choiceWeighted(this.categorical[d]![k]!);
      const kern = this.numeric[d]!;
      return sampleTruncatedNormal(rng, kern.mus[k]!, kern.sigmas[k]!, dim.low, dim.high);
    });
  }

  logPdf(x: readonly number[]): number {
    const terms = this.logWeights.slice();
    this.dims.forEach((dim, d) => {
      const xd = x[d]!;
      if (dim.kind === "categorical") {
        const table = this.categorical[d]!;
        for (let k = 0; k < terms.length; k++) terms[k]! += Math.log(table[k]![xd]!);
      } else {
        const kern = this.numeric[d]!;
        for (let k = 0; k < terms.length; k++) {
          const s = kern.sigmas[k]!;
          terms[k]! +=
            normLogPdf((xd - kern.mus[k]!) / s) - (this.widthWeighted ? 0 : Math.log(s)) - kern.logMass[k]!;
        }
      }
    });
    return logSumExp(terms);
  }
}

function numericKernels(
  obs: number[],
  low: number,
  high: number,
  nParams: number,
  o: ParzenOptions,
): NumericKernels {
  const mus = [...obs, 0.5 * (low + high)];
  const range = high - low;
  let sigmas: number[];
  if (obs.length === 0) {
    sigmas = [range];
  } else if (o.multivariate && (o.bandwidth ?? "scott") === "scott") {
    const sigma = 0.2 * Math.max(obs.length, 1) ** (-1 / (nParams + 4)) * range;
    sigmas = mus.map(() => sigma);
  } else {
    // Optuna's univariate bandwidth: distance to the farther neighbour among the sorted means,
    // endpoints included; the prior kernel takes part in the ordering. Multivariate estimators with
    // bandwidth "neighbour" apply it to each dimension of the joint kernels.
    const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
    const sorted = order.map((i) => mus[i]!);
    const withEnds = [low, ...sorted, high];
    const sortedSigmas = sorted.map((_, i) =>
      Math.max(withEnds[i + 1]! - withEnds[i]!, withEnds[i + 2]! - withEnds[i + 1]!),
    );
    if (sorted.length >= 2) {
      sortedSigmas[0] = sorted[1]! - sorted[0]!;
      sortedSigmas[sorted.length - 1] = sorted[sorted.length - 1]! - sorted[sorted.length - 2]!;
    }
    sigmas = new Array(mus.length);
    order.forEach((orig, i) => {
      sigmas[orig] = sortedSigmas[i]!;
    });
  }
  const maxSigma = range;
  const minSigma = o.magicClip ? range / Math.min(100, 1 + (o.clipCount ?? mus.length)) : 1e-12;
  sigmas = sigmas.map((s) => Math.min(maxSigma, Math.max(minSigma, s)));
  if (obs.length > 0) sigmas[sigmas.length - 1] = range;
  const logMass = mus.map((mu, i) => Math.log(Math.max(truncatedMass(mu, sigmas[i]!, low, high), 1e-300)));
  if (obs.length === 0)
    return { mus: [mus[mus.length - 1]!], sigmas, logMass: [logMass[logMass.length - 1]!] };
  return { mus, sigmas, logMass };
}

function categoricalKernels(obs: number[], n: number, priorWeight: number): number[][] {
  if (obs.length === 0) return [new Array(n).fill(1 / n)];
  const kernels = obs.length + 1;
  const rows = Array.from({ length: kernels }, () => new Array<number>(n).fill(priorWeight / kernels));
  obs.forEach((c, i) => {
    rows[i]![c]! += 1;
  });
  return rows.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => v / s);
  });
}

/** Inverse-CDF draw from N(mu, sigma) truncated to [low, high], sampling on the far tail side. */
export function sampleTruncatedNormal(
  rng: SearchRng,
  mu: number,
  sigma: number,
  low: number,
  high: number,
): number {
  const a = (low - mu) / sigma;
  const b = (high - mu) / sigma;
  const flip = a > 0;
  const lo = flip ? -b : a;
  const hi = flip ? -a : b;
  const pa = normCdf(lo);
  const pb = normCdf(hi);
  let z = normPpf(pa + rng.uniform() * (pb - pa));
  if (!Number.isFinite(z)) z = (lo + hi) / 2;
  z = Math.min(hi, Math.max(lo, z));
  const x = mu + sigma * (flip ? -z : z);
  return Math.min(high, Math.max(low, x));
}
