/**
 * Asynchronous decentralized Bayesian optimisation (DeepHyper's CBO/DBO): there is no central
 * sampler. Each worker runs this sampler with its own seed; it reads every result from the shared
 * storage, fits its own surrogate (random forest or GP) and minimises a lower confidence bound with a
 * kappa drawn once per worker from Exponential(scale 1.96), so workers explore differently.
 */

import { z } from "zod";
import { hashString, mixSeed, SearchRng } from "../../rng.ts";
import { defineSampler, option } from "../define.ts";
import { RandomForest } from "../forest.ts";
import type { ParamValue, SearchSpace } from "../space.ts";
import { type AskOptions, minimiseSign, type Sampler, type StoredTrial } from "../types.ts";
import { askRng, sampleFromPrior } from "./common.ts";
import { maximiseAcquisition, UnitEncoder } from "./encoding.ts";
import { GpSampler } from "./gp.ts";

export interface DecentralizedBoOptions {
  surrogate?: "rf" | "gp";
  /** Identifies the worker; mixed into the seed so workers with one study seed still differ. */
  workerId?: string;
  /** Overrides the drawn kappa. */
  kappa?: number;
  kappaScale?: number;
  nStartupTrials?: number;
}

/** The worker's UCB kappa: Exponential(scale) drawn from the worker's own seed. */
export function workerKappa(seed: number, workerId = "", scale = 1.96): number {
  return new SearchRng(mixSeed(seed, hashString(workerId), 0x6b61)).exponential(scale);
}

export class DecentralizedBoSampler implements Sampler {
  readonly name = "dbo";
  readonly kappa: number;
  private readonly workerSeed: number;
  private readonly gp: GpSampler | undefined;

  constructor(
    seed: number,
    private readonly options: DecentralizedBoOptions = {},
  ) {
    this.workerSeed = mixSeed(seed, hashString(options.workerId ?? ""));
    this.kappa = options.kappa ?? workerKappa(seed, options.workerId, options.kappaScale ?? 1.96);
    if (options.surrogate === "gp") {
      this.gp = new GpSampler(this.workerSeed, {
        acquisition: "ucb",
        kappa: this.kappa,
        nStartupTrials: options.nStartupTrials,
      });
    }
  }

  ask(space: SearchSpace, trials: readonly StoredTrial[], opts: AskOptions = {}): Record<string, ParamValue> {
    if (this.gp) return this.gp.ask(space, trials, opts);
    const rng = askRng(this.workerSeed, trials, 29);
    const sign = minimiseSign(opts.direction);
    const done = trials.filter(
      (t) => t.state === "COMPLETE" && t.value !== undefined && Number.isFinite(t.value),
    );
    if (done.length < (this.options.nStartupTrials ?? 10)) return sampleFromPrior(space, rng);
    const encoder = new UnitEncoder(space);
    const x = done.map((t) => encoder.encode(t.params));
    const y = done.map((t) => sign * t.value!);
    const forest = new RandomForest(x, y, rng.nextUint32(), { trees: 30 });
    const incumbents = [...done]
      .sort((a, b) => sign * (a.value! - b.value!))
      .slice(0, 3)
      .map((t) => t.params);
    const lcb = (p: number[]) => {
      const [m, v] = forest.predict(p);
      return -(m - this.kappa * Math.sqrt(v));
    };
    return maximiseAcquisition(encoder, lcb, incumbents, rng, { randomCandidates: 256, localSteps: 15 });
  }
}

export const dboEntry = defineSampler({
  name: "dbo",
  description: "Decentralized BO: each worker runs UCB with its own drawn kappa over the shared history.",
  options: z
    .object({
      surrogate: option(z.enum(["rf", "gp"]), { description: "Surrogate model", default: "rf" }),
      workerId: option(z.string().max(200), {
        description: "Identifies the worker; mixed into the seed (set by each worker)",
        default: "",
      }),
      kappa: option(z.number().min(0), { description: "Overrides the drawn UCB kappa", default: "drawn" }),
      kappaScale: option(z.number().positive(), {
        description: "Mean of the exponential distribution kappa is drawn from",
        default: 1.96,
      }),
      nStartupTrials: option(z.number().int().min(1), {
        description: "Random trials before the model is used",
        default: 10,
      }),
    })
    .strict(),
  create: (seed, options) => new DecentralizedBoSampler(seed, options),
});
