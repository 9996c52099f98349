/**
 * CMA-ES (Hansen's (mu/mu_w, lambda) with rank-one and rank-mu updates) on the unit cube of the
 * always-active numeric parameters; categorical and conditional parameters are drawn from the prior.
 * The strategy state is never stored: it is replayed from the trial history (each run of lambda
 * completed trials, in trial order, is one generation), so any worker and any resumed study agrees.
 */

import { z } from "zod";
import type { SearchRng } from "../../rng.ts";
import { defineSampler, option } from "../define.ts";
import { symmetricEigen } from "../linalg.ts";
import {
  assignActive,
  fromUnit,
  type NumericParam,
  orderedParamNames,
  ownSpec,
  ownValue,
  type SearchSpace,
  toUnit,
} from "../space.ts";
import { type AskOptions, minimiseSign, type Sampler, type StoredTrial } from "../types.ts";
import { askRng, sampleFromPrior, sampleParam } from "./common.ts";

export interface CmaEsOptions {
  /** Initial step size in the unit cube. */
  sigma0?: number;
  popsize?: number;
}

export interface CmaState {
  mean: number[];
  sigma: number;
  c: Float64Array;
  pc: number[];
  ps: number[];
  generation: number;
  /** B * diag(sqrt(eigenvalues)), and B * diag(1/sqrt(eigenvalues)) * B^T. */
  sqrtC: Float64Array;
  invSqrtC: Float64Array;
}

export class CmaEsSampler implements Sampler {
  readonly name = "cmaes";
  constructor(
    private readonly seed: number,
    private readonly options: CmaEsOptions = {},
  ) {}

  ask(space: SearchSpace, trials: readonly StoredTrial[], opts: AskOptions = {}) {
    const rng = askRng(this.seed, trials);
    const names = orderedParamNames(space).filter((n) => {
      const s = ownSpec(space, n)!;
      return s.type !== "categorical" && !s.when;
    });
    if (names.length === 0) return sampleFromPrior(space, rng);
    const specs = names.map((n) => ownSpec(space, n) as NumericParam);
    const state = replay(specs, names, trials, minimiseSign(opts.direction), this.options);
    const x = sampleCandidate(state, rng);
    const fromCma = new Map(names.map((n, d) => [n, fromUnit(specs[d]!, x[d]!)]));
    // Parents before children: CMA-ES values are fixed first, so conditions see them.
    return assignActive(space, (name, spec) => fromCma.get(name) ?? sampleParam(spec, rng));
  }
}

function constants(n: number, popsize?: number) {
  const lambda = popsize ?? 4 + Math.floor(3 * Math.log(n));
  const mu = Math.floor(lambda / 2);
  const raw = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));
  const sum = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / sum);
  const mueff = 1 / weights.reduce((a, w) => a + w * w, 0);
  const cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
  const cs = (mueff + 2) / (n + mueff + 5);
  const c1 = 2 / ((n + 1.3) ** 2 + mueff);
  const cmu = Math.min(1 - c1, (2 * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + mueff));
  const damps = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  return { lambda, mu, weights, mueff, cc, cs, c1, cmu, damps, chiN };
}

export function initialState(n: number, sigma0: number): CmaState {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) c[i * n + i] = 1;
  return {
    mean: new Array(n).fill(0.5),
    sigma: sigma0,
    c,
    pc: new Array(n).fill(0),
    ps: new Array(n).fill(0),
    generation: 0,
    sqrtC: c.slice(),
    invSqrtC: c.slice(),
  };
}

function refreshDecomposition(state: CmaState, n: number): void {
  const { values, vectors } = symmetricEigen(state.c, n);
  const sqrtC = new Float64Array(n * n);
  const invSqrtC = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      sqrtC[i * n + j] = vectors[i * n + j]! * Math.sqrt(Math.max(values[j]!, 1e-20));
      let s = 0;
      for (let k = 0; k < n; k++)
        s += (vectors[i * n + k]! * vectors[j * n + k]!) / Math.sqrt(Math.max(values[k]!, 1e-20));
      invSqrtC[i * n + j] = s;
    }
  }
  state.sqrtC = sqrtC;
  state.invSqrtC = invSqrtC;
}

/** One CMA-ES generation update from lambda (unit-cube point, loss) pairs. */
export function updateState(
  state: CmaState,
  population: Array<{ x: number[]; loss: number }>,
  popsize?: number,
): void {
  const n = state.mean.length;
  const k = constants(n, popsize);
  const sorted = [...population].sort((a, b) => a.loss - b.loss).slice(0, k.mu);
  const ys = sorted.map((p) => p.x.map((v, d) => (v - state.mean[d]!) / state.sigma));
  const yw = new Array<number>(n).fill(0);
  ys.forEach((y, i) => {
    y.forEach((v, d) => {
      yw[d]! += k.weights[i]! * v;
    });
  });
  state.mean = state.mean.map((m, d) => m + state.sigma * yw[d]!);
  const cInvY = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cInvY[i]! += state.invSqrtC[i * n + j]! * yw[j]!;
  const csFactor = Math.sqrt(k.cs * (2 - k.cs) * k.mueff);
  state.ps = state.ps.map((p, d) => (1 - k.cs) * p + csFactor * cInvY[d]!);
  const psNorm = Math.sqrt(state.ps.reduce((a, v) => a + v * v, 0));
  state.generation += 1;
  const hsig =
    psNorm / Math.sqrt(1 - (1 - k.cs) ** (2 * state.generation)) / k.chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
  const ccFactor = Math.sqrt(k.cc * (2 - k.cc) * k.mueff);
  state.pc = state.pc.map((p, d) => (1 - k.cc) * p + hsig * ccFactor * yw[d]!);
  const c = state.c;
  const keep = 1 - k.c1 - k.cmu + (1 - hsig) * k.c1 * k.cc * (2 - k.cc);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let rankMu = 0;
      ys.forEach((y, s) => {
        rankMu += k.weights[s]! * y[i]! * y[j]!;
      });
      c[i * n + j] = keep * c[i * n + j]! + k.c1 * state.pc[i]! * state.pc[j]! + k.cmu * rankMu;
    }
  }
  state.sigma *= Math.exp((k.cs / k.damps) * (psNorm / k.chiN - 1));
  state.sigma = Math.min(Math.max(state.sigma, 1e-12), 1);
  refreshDecomposition(state, n);
}

function replay(
  specs: NumericParam[],
  names: string[],
  trials: readonly StoredTrial[],
  sign: 1 | -1,
  options: CmaEsOptions,
): CmaState {
  const n = names.length;
  const lambda = constants(n, options.popsize).lambda;
  const state = initialState(n, options.sigma0 ?? 1 / 6);
  let generation: Array<{ x: number[]; loss: number }> = [];
  const ordered = [...trials].sort((a, b) => a.number - b.number);
  for (const t of ordered) {
    if (t.state !== "COMPLETE" || t.value === undefined || !Number.isFinite(t.value)) continue;
    if (!names.every((nm) => typeof ownValue(t.params, nm) === "number")) continue;
    generation.push({
      x: names.map((nm, d) => toUnit(specs[d]!, ownValue(t.params, nm) as number)),
      loss: sign * t.value,
    });
    if (generation.length === lambda) {
      updateState(state, generation, options.popsize);
      generation = [];
    }
  }
  return state;
}

/** Draws m + sigma * sqrtC z inside the unit cube (resampling, then clipping). */
export function sampleCandidate(state: CmaState, rng: SearchRng): number[] {
  const n = state.mean.length;
  let x: number[] = state.mean;
  for (let attempt = 0; attempt < 100; attempt++) {
    const z = Array.from({ length: n }, () => rng.normal());
    x = state.mean.map((m, i) => {
      let s = 0;
      for (let j = 0; j < n; j++) s += state.sqrtC[i * n + j]! * z[j]!;
      return m + state.sigma * s;
    });
    if (x.every((v) => v >= 0 && v <= 1)) return x;
  }
  return x.map((v) => Math.min(1, Math.max(0, v)));
}

export const cmaesEntry = defineSampler({
  name: "cmaes",
  description:
    "CMA-ES evolution strategy over the unit cube; strong on continuous spaces with larger budgets.",
  options: z
    .object({
      sigma0: option(z.number().positive().max(1), {
        description: "Initial step size in the unit cube",
        default: 1 / 6,
      }),
      popsize: option(z.number().int().min(2), {
        description: "Population per generation",
        default: "4 + floor(3 ln dimensions)",
      }),
    })
    .strict(),
  create: (seed, options) => new CmaEsSampler(seed, options),
});
