/**
 * Gaussian-process Bayesian optimisation: Matérn 5/2 ARD GP on the unit-cube encoding (log-scaled
 * parameters on their log axis, categoricals one-hot), expected improvement or a lower confidence
 * bound, Sobol initial design, and for pending trials the kriging believer (their predicted mean
 * added as data) plus local penalisation of the acquisition around them, so parallel asks spread out.
 */
import { z } from "zod";
import { defineSampler, option } from "../define.ts";
import { DEFAULT_PRIORS, fitHyper, GaussianProcess, type GpHyper, NOISELESS_PRIORS } from "../gp.ts";
import type { SearchSpace } from "../space.ts";
import { normCdf, normLogPdf, normPpf } from "../stats.ts";
import { type AskOptions, isPending, minimiseSign, type Sampler, type StoredTrial } from "../types.ts";
import { askRng } from "./common.ts";
import { type AcquisitionSearch, maximiseAcquisition, UnitEncoder } from "./encoding.ts";
import { SobolSampler } from "./sobol.ts";

export interface GpOptions {
  acquisition?: "ei" | "ucb";
  /** UCB exploration weight: minimise mean - kappa * sd. */
  kappa?: number;
  nStartupTrials?: number;
  /** Rprop iterations for the hyperparameter fit. */
  fitIterations?: number;
  /** Fit on the best trials only, beyond this many (keeps asks O(maxPoints^3)). */
  maxPoints?: number;
  /** Refit hyperparameters on every new result up to this many, then every `refitEvery`. */
  refitAllUntil?: number;
  refitEvery?: number;
  /**
   * Monotone transform of the objective before the GP sees it: "log" (log of the gap to the best
   * value, so heavy-tailed objectives such as Rosenbrock stay modelable and the region near the
   * optimum is magnified), "rank" (Gaussian copula of ranks), or "none" (standardise only).
   */
  outputWarping?: "none" | "log" | "rank";
  /** Treat the objective as deterministic (noise variance pinned near zero). */
  noiseless?: boolean;
  /** Acquisition maximiser effort (random candidates, perturbations of the incumbents, hill climbing). */
  search?: AcquisitionSearch;
  /**
   * Pending (running) trials: "believer-penalise" (default: the kriging believer adds each pending
   * point's posterior mean as data, then the acquisition is locally penalised around it),
   * "penalise" (local penalisation alone) or "believer" (kriging believer alone).
   */
  pending?: "believer-penalise" | "penalise" | "believer";
  /**
   * Local penalisation multiplies the Lipschitz estimate (the largest posterior-mean gradient) by
   * this, shrinking the exclusion balls (default 3; 1 is the paper's estimate).
   */
  lipschitzScale?: number;
}

/** Warps losses monotonically (smaller stays better), then standardises. */
export function warpLosses(raw: readonly number[], kind: "none" | "log" | "rank"): number[] {
  let y = raw.slice();
  if (kind === "log") {
    const min = Math.min(...y);
    const sorted = [...y].sort((a, b) => a - b);
    const spread = sorted[Math.floor(sorted.length / 2)]! - min;
    const offset = spread > 0 ? 1e-3 * spread : 1e-9 + Math.abs(min) * 1e-9;
    y = y.map((v) => Math.log(v - min + offset));
  } else if (kind === "rank") {
    const order = y.map((_, i) => i).sort((a, b) => y[a]! - y[b]!);
    const ranked = new Array<number>(y.length);
    order.forEach((i, r) => {
      ranked[i] = normPpf((r + 0.5) / y.length);
    });
    y = ranked;
  }
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const sd = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / y.length) || 1;
  return y.map((v) => (v - mean) / sd);
}

/**
 * Completed-trial counts at which hyperparameters are refitted; in between, the last fit is reused.
 * The fit at count m uses the first m results (by trial number), so it is a function of the history
 * and a resumed study recomputes exactly what the original cached.
 */
export function refitPoint(nDone: number, allUntil: number, every: number): number {
  if (nDone <= allUntil) return nDone;
  return allUntil + Math.floor((nDone - allUntil) / every) * every;
}

/** log EI for minimisation at standardised improvement z, stable far in the tail. */
export function logExpectedImprovement(mean: number, sd: number, best: number): number {
  const z = (best - mean) / sd;
  if (z > -6) return Math.log(sd) + Math.log(Math.max(z * normCdf(z) + Math.exp(normLogPdf(z)), 1e-300));
  return Math.log(sd) + normLogPdf(z) - 2 * Math.log(-z);
}

export class GpSampler implements Sampler {
  readonly name: string = "gp";
  protected readonly acquisition: "ei" | "ucb";
  protected readonly kappa: number;
  private readonly nStartup: number | undefined;
  private readonly fitIterations: number;
  private readonly maxPoints: number;
  private readonly refitAllUntil: number;
  private readonly refitEvery: number;
  private readonly outputWarping: "none" | "log" | "rank";
  private readonly noiseless: boolean;
  private readonly search: AcquisitionSearch | undefined;
  private readonly pending: "believer-penalise" | "penalise" | "believer";
  private readonly lipschitzScale: number;
  private readonly hyperCache = new Map<string, GpHyper>();

  constructor(
    protected readonly seed: number,
    options: GpOptions = {},
  ) {
    this.acquisition = options.acquisition ?? "ei";
    this.kappa = options.kappa ?? 1.96;
    this.nStartup = options.nStartupTrials;
    this.fitIterations = options.fitIterations ?? 40;
    this.maxPoints = options.maxPoints ?? 200;
    this.refitAllUntil = options.refitAllUntil ?? 30;
    this.refitEvery = options.refitEvery ?? 5;
    this.outputWarping = options.outputWarping ?? "none";
    this.noiseless = options.noiseless ?? false;
    this.search = options.search;
    this.pending = options.pending ?? "believer-penalise";
    this.lipschitzScale = options.lipschitzScale ?? 3;
  }

  ask(space: SearchSpace, trials: readonly StoredTrial[], opts: AskOptions = {}) {
    const encoder = new UnitEncoder(space);
    const sign = minimiseSign(opts.direction);
    let done = trials.filter(
      (t) => t.state === "COMPLETE" && t.value !== undefined && Number.isFinite(t.value),
    );
    const nStartup = this.nStartup ?? opts.nStartupTrials ?? Math.min(10, Math.max(5, encoder.dims + 1));
    if (done.length < nStartup) return new SobolSampler(this.seed).ask(space, trials);
    if (done.length > this.maxPoints) {
      done = [...done].sort((a, b) => sign * (a.value! - b.value!)).slice(0, this.maxPoints);
    }
    const rng = askRng(this.seed, trials, 17);
    const x = done.map((t) => encoder.encode(t.params));
    const y = warpLosses(
      done.map((t) => sign * t.value!),
      this.outputWarping,
    );
    const hyper = this.hyperFor(done, x, y, encoder.dims);
    let gp = new GaussianProcess(x, y, hyper);
    const pending = trials.filter(isPending).map((t) => encoder.encode(t.params));
    if (pending.length > 0 && this.pending !== "penalise") {
      const believed = pending.map((p) => gp.predict(p)[0]);
      gp = new GaussianProcess([...x, ...pending], [...y, ...believed], hyper);
    }
    const best = Math.min(...y);
    const base =
      this.acquisition === "ei"
        ? (p: number[]) => {
            const [m, v] = gp.predict(p);
            return logExpectedImprovement(m, Math.sqrt(v), best);
          }
        : (p: number[]) => {
            const [m, v] = gp.predict(p);
            return -(m - this.kappa * Math.sqrt(v));
          };
    let score = base;
    if (pending.length > 0 && this.pending !== "believer") {
      // Local penalisation (González et al. 2016), on the believer's posterior when both are on:
      // a pending trial x_j whose outcome is still
      // unknown rules out, with probability Phi((L |x - x_j| - (mu_j - best)) / (sqrt 2 sd_j)), the
      // ball around it in which an L-Lipschitz objective could not beat the incumbent. Near a
      // well-known optimum (mu_j ~ best, sd_j small) the ball is tiny, so workers can refine it
      // together; around an uncertain or poor pending point it is wide, so they spread out.
      const lip = lipschitz(gp, encoder.dims, rng) * this.lipschitzScale;
      const balls = pending.map((p) => {
        const [m, v] = gp.predict(p);
        return { p, gap: m - best, sd: Math.sqrt(v + 1e-12) };
      });
      score = (x: number[]) => {
        let pen = 0;
        for (const b of balls) {
          let d2 = 0;
          for (let i = 0; i < x.length; i++) d2 += (x[i]! - b.p[i]!) ** 2;
          pen += logNormCdf((lip * Math.sqrt(d2) - b.gap) / (Math.SQRT2 * b.sd));
        }
        // log EI is already a log; UCB goes through softplus first (the paper's transform).
        return (this.acquisition === "ei" ? base(x) : logSoftplus(base(x))) + pen;
      };
    }
    const incumbents = [...done]
      .sort((a, b) => sign * (a.value! - b.value!))
      .slice(0, 3)
      .map((t) => t.params);
    return maximiseAcquisition(encoder, score, incumbents, rng, this.search);
  }

  private hyperFor(done: readonly StoredTrial[], x: number[][], y: number[], dims: number): GpHyper {
    const m = refitPoint(done.length, this.refitAllUntil, this.refitEvery);
    const order = done
      .map((_, i) => i)
      .sort((a, b) => done[a]!.number - done[b]!.number)
      .slice(0, m);
    const key = `${dims}:${order.map((i) => `${done[i]!.number}=${done[i]!.value}`).join(",")}`;
    let hyper = this.hyperCache.get(key);
    if (!hyper) {
      const ys = order.map((i) => y[i]!);
      const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
      const sd = Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / ys.length) || 1;
      hyper = fitHyper(
        order.map((i) => x[i]!),
        ys.map((v) => (v - mean) / sd),
        dims,
        this.fitIterations,
        this.noiseless ? NOISELESS_PRIORS : DEFAULT_PRIORS,
      );
      if (this.hyperCache.size > 32) this.hyperCache.clear();
      this.hyperCache.set(key, hyper);
    }
    return hyper;
  }
}

function logSoftplus(a: number): number {
  if (a > 30) return Math.log(a);
  if (a < -30) return a;
  return Math.log(Math.log1p(Math.exp(a)));
}

function logNormCdf(z: number): number {
  if (z > -5) return Math.log(Math.max(normCdf(z), 1e-300));
  return normLogPdf(z) - Math.log(-z) + Math.log1p(-1 / (z * z));
}

/** Largest gradient norm of the posterior mean over random points (finite differences), min 1e-7. */
function lipschitz(gp: GaussianProcess, dims: number, rng: { uniform(): number }): number {
  let best = 1e-7;
  const h = 1e-4;
  for (let k = 0; k < 256; k++) {
    const x = Array.from({ length: dims }, () => rng.uniform());
    const m0 = gp.predict(x)[0];
    let g2 = 0;
    for (let d = 0; d < dims; d++) {
      const xd = x.slice();
      xd[d] = x[d]! + h;
      g2 += ((gp.predict(xd)[0] - m0) / h) ** 2;
    }
    best = Math.max(best, Math.sqrt(g2));
  }
  return best;
}

const positive = z.number().positive();

export const gpEntry = defineSampler({
  name: "gp",
  description:
    "Gaussian-process Bayesian optimisation: the most sample-efficient on small continuous spaces.",
  options: z
    .object({
      acquisition: option(z.enum(["ei", "ucb"]), {
        description: "Acquisition: expected improvement or upper confidence bound",
        default: "ei",
      }),
      kappa: option(z.number().min(0), { description: "UCB exploration weight", default: 1.96 }),
      nStartupTrials: option(z.number().int().min(1), {
        description: "Sobol trials before the model is used",
        default: "min(10, max(5, dimensions + 1))",
      }),
      fitIterations: option(z.number().int().min(0).max(1000), {
        description: "Rprop iterations of the hyperparameter fit",
        default: 40,
      }),
      maxPoints: option(z.number().int().min(5).max(2000), {
        description: "Fit on the best trials only beyond this many",
        default: 200,
      }),
      refitAllUntil: option(z.number().int().min(1), {
        description: "Refit hyperparameters on every result up to this many",
        default: 30,
      }),
      refitEvery: option(z.number().int().min(1), {
        description: "Then refit every this many results",
        default: 5,
      }),
      outputWarping: option(z.enum(["none", "log", "rank"]), {
        description: "Monotone transform of the objective before the GP sees it",
        default: "none",
      }),
      noiseless: option(z.boolean(), { description: "Treat the objective as deterministic", default: false }),
      pending: option(z.enum(["believer-penalise", "penalise", "believer"]), {
        description: "How pending trials shape the next proposal",
        default: "believer-penalise",
      }),
      lipschitzScale: option(positive, {
        description: "Multiplier of the Lipschitz estimate for local penalisation",
        default: 3,
      }),
      search: option(
        z
          .object({
            randomCandidates: z.number().int().min(0).max(100000).optional(),
            localStarts: z.number().int().min(0).max(100).optional(),
            localSteps: z.number().int().min(0).max(10000).optional(),
            perturbations: z.number().int().min(0).max(10000).optional(),
            perturbScale: z.tuple([positive, positive]).optional(),
            climbScale: positive.optional(),
          })
          .strict(),
        {
          description:
            "Acquisition maximiser effort (randomCandidates, localStarts, localSteps, perturbations, ...)",
          default: "randomCandidates 512, localStarts 4, localSteps 25, perturbations 16",
        },
      ),
    })
    .strict(),
  create: (seed, options) => new GpSampler(seed, options),
});
