/**
 * Gaussian-process regression with an ARD Matérn 5/2 kernel, for Bayesian optimisation on the unit
 * cube. Hyperparameters (lengthscales, signal and noise variance) maximise the log marginal
 * likelihood plus weak log-normal priors, by Rprop on analytic gradients from a fixed start, so a
 * fit is a pure function of the data.
 */
import { cholesky, choleskyInverse, choleskyLogDet, choleskySolve, solveLower } from "./linalg.ts";

const SQRT5 = Math.sqrt(5);

export interface GpHyper {
  /** log lengthscale per input dimension. */
  logLengthscales: number[];
  logSignalVar: number;
  logNoiseVar: number;
}

/** Matérn 5/2 correlation at scaled distance r. */
export function matern52(r: number): number {
  return (1 + SQRT5 * r + (5 / 3) * r * r) * Math.exp(-SQRT5 * r);
}

function scaledDistance(a: ArrayLike<number>, b: ArrayLike<number>, invL2: ArrayLike<number>): number {
  let s = 0;
  for (let d = 0; d < invL2.length; d++) {
    const diff = a[d]! - b[d]!;
    s += diff * diff * invL2[d]!;
  }
  return Math.sqrt(s);
}

export function kernelMatrix(x: readonly number[][], h: GpHyper): Float64Array {
  const n = x.length;
  const invL2 = h.logLengthscales.map((l) => Math.exp(-2 * l));
  const sf = Math.exp(h.logSignalVar);
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = sf * matern52(scaledDistance(x[i]!, x[j]!, invL2));
      k[i * n + j] = v;
      k[j * n + i] = v;
    }
  }
  return k;
}

const MIN_NOISE = 1e-6;
const JITTER = 1e-8;

/** Weak priors keep the fit sane on few points: lengthscale ~ LogNormal(log 0.5, 1), etc. */
export interface GpPriors {
  /** [mean, sd] of log lengthscale (unit-cube inputs). */
  lengthscale: readonly [number, number];
  /** [mean, sd] of log signal variance (standardised targets). */
  signal: readonly [number, number];
  /** [mean, sd] of log noise variance. */
  noise: readonly [number, number];
}

export const DEFAULT_PRIORS: GpPriors = {
  lengthscale: [Math.log(0.5), 1],
  signal: [0, 1],
  noise: [Math.log(1e-3), 2],
};

/** For deterministic objectives (benchmarks, simulators): noise pinned near zero. */
export const NOISELESS_PRIORS: GpPriors = { ...DEFAULT_PRIORS, noise: [Math.log(1e-6), 1] };

function logNormalPrior(x: number, [mu, sd]: readonly [number, number]): [number, number] {
  return [-0.5 * ((x - mu) / sd) ** 2, -(x - mu) / (sd * sd)];
}

/** Log marginal likelihood + log prior, and its gradient w.r.t. [logL..., logSignal, logNoise]. */
export function logPosteriorAndGrad(
  x: readonly number[][],
  y: readonly number[],
  h: GpHyper,
  priors: GpPriors = DEFAULT_PRIORS,
): [number, number[]] {
  const n = x.length;
  const dims = h.logLengthscales.length;
  const invL2 = h.logLengthscales.map((v) => Math.exp(-2 * v));
  const sf = Math.exp(h.logSignalVar);
  // One pass for the kernel and the pieces its lengthscale derivative reuses.
  const kf = new Float64Array(n * n);
  const dShape = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    kf[i * n + i] = sf;
    for (let j = 0; j < i; j++) {
      const r = scaledDistance(x[i]!, x[j]!, invL2);
      const e = Math.exp(-SQRT5 * r);
      const v = sf * (1 + SQRT5 * r + (5 / 3) * r * r) * e;
      kf[i * n + j] = v;
      kf[j * n + i] = v;
      dShape[i * n + j] = (5 / 3) * sf * (1 + SQRT5 * r) * e;
    }
  }
  const noise = Math.exp(h.logNoiseVar) + MIN_NOISE;
  const k = kf.slice();
  for (let i = 0; i < n; i++) k[i * n + i]! += noise + JITTER;
  const l = cholesky(k, n);
  const alpha = choleskySolve(l, n, y);
  let fit = 0;
  for (let i = 0; i < n; i++) fit += y[i]! * alpha[i]!;
  let value = -0.5 * fit - 0.5 * choleskyLogDet(l, n) - 0.5 * n * Math.log(2 * Math.PI);
  const kinv = choleskyInverse(l, n);
  // W = alpha alpha^T - K^{-1}; dLML/dtheta = 0.5 tr(W dK/dtheta).
  const grad = new Array<number>(dims + 2).fill(0);
  let trW = 0;
  for (let i = 0; i < n; i++) {
    trW += alpha[i]! * alpha[i]! - kinv[i * n + i]!;
    const xi = x[i]!;
    for (let j = 0; j < i; j++) {
      const w = alpha[i]! * alpha[j]! - kinv[i * n + j]!;
      // Off-diagonal pairs appear twice in the trace.
      grad[dims]! += w * kf[i * n + j]!;
      const common = dShape[i * n + j]! * w;
      const xj = x[j]!;
      for (let d = 0; d < dims; d++) {
        const diff = xi[d]! - xj[d]!;
        grad[d]! += common * diff * diff * invL2[d]!;
      }
    }
    grad[dims]! += 0.5 * (alpha[i]! * alpha[i]! - kinv[i * n + i]!) * kf[i * n + i]!;
  }
  grad[dims + 1] = 0.5 * (noise - MIN_NOISE) * trW;
  h.logLengthscales.forEach((v, d) => {
    const [p, g] = logNormalPrior(v, priors.lengthscale);
    value += p;
    grad[d]! += g;
  });
  const [ps, gs] = logNormalPrior(h.logSignalVar, priors.signal);
  const [pn, gn] = logNormalPrior(h.logNoiseVar, priors.noise);
  value += ps + pn;
  grad[dims]! += gs;
  grad[dims + 1]! += gn;
  return [value, grad];
}

const BOUNDS = {
  logL: [Math.log(1e-3), Math.log(20)],
  logS: [Math.log(1e-2), Math.log(100)],
  logN: [Math.log(1e-9), Math.log(2)],
} as const;

/** Maximises the log posterior by iRprop- from a fixed start (sign-based steps, robust to scale). */
export function fitHyper(
  x: readonly number[][],
  y: readonly number[],
  dims: number,
  iterations = 40,
  priors: GpPriors = DEFAULT_PRIORS,
): GpHyper {
  const theta = [...new Array<number>(dims).fill(priors.lengthscale[0]), priors.signal[0], priors.noise[0]];
  const lower = [...new Array<number>(dims).fill(BOUNDS.logL[0]), BOUNDS.logS[0], BOUNDS.logN[0]];
  const upper = [...new Array<number>(dims).fill(BOUNDS.logL[1]), BOUNDS.logS[1], BOUNDS.logN[1]];
  const step = theta.map(() => 0.2);
  let prevGrad = theta.map(() => 0);
  const unpack = (t: number[]): GpHyper => ({
    logLengthscales: t.slice(0, dims),
    logSignalVar: t[dims]!,
    logNoiseVar: t[dims + 1]!,
  });
  let best = unpack(theta);
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let it = 0; it < iterations; it++) {
    let value: number;
    let grad: number[];
    try {
      [value, grad] = logPosteriorAndGrad(x, y, unpack(theta), priors);
    } catch {
      break;
    }
    if (value > bestValue) {
      bestValue = value;
      best = unpack(theta.slice());
    }
    for (let i = 0; i < theta.length; i++) {
      const g = grad[i]!;
      const prod = g * prevGrad[i]!;
      if (prod > 0) step[i] = Math.min(step[i]! * 1.2, 1);
      else if (prod < 0) step[i] = Math.max(step[i]! * 0.5, 1e-4);
      const g2 = prod < 0 ? 0 : g;
      theta[i] = Math.min(upper[i]!, Math.max(lower[i]!, theta[i]! + Math.sign(g2) * step[i]!));
      prevGrad[i] = g2;
    }
    prevGrad = prevGrad.slice();
  }
  return best;
}

/** A fitted GP posterior over standardised targets. */
export class GaussianProcess {
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;
  private readonly invL2: number[];
  private readonly signal: number;
  readonly n: number;

  constructor(
    readonly x: readonly number[][],
    readonly y: readonly number[],
    readonly hyper: GpHyper,
  ) {
    this.n = x.length;
    const k = kernelMatrix(x, hyper);
    const noise = Math.exp(hyper.logNoiseVar) + MIN_NOISE;
    for (let i = 0; i < this.n; i++) k[i * this.n + i]! += noise + JITTER;
    this.l = cholesky(k, this.n);
    this.alpha = choleskySolve(this.l, this.n, y);
    this.invL2 = hyper.logLengthscales.map((v) => Math.exp(-2 * v));
    this.signal = Math.exp(hyper.logSignalVar);
  }

  /** Posterior mean and variance of the latent function at one point. */
  predict(point: readonly number[]): [mean: number, variance: number] {
    const ks = new Float64Array(this.n);
    let mean = 0;
    for (let i = 0; i < this.n; i++) {
      ks[i] = this.signal * matern52(scaledDistance(point, this.x[i]!, this.invL2));
      mean += ks[i]! * this.alpha[i]!;
    }
    const v = solveLower(this.l, this.n, ks);
    let vv = 0;
    for (let i = 0; i < this.n; i++) vv += v[i]! * v[i]!;
    return [mean, Math.max(this.signal - vv, 1e-12)];
  }
}
