import { z } from "zod";
import { defineScheduler, directionOption, option } from "../define.ts";
import type { Direction, Scheduler, StoredTrial } from "../types.ts";
import { asLoss, competitorValues, crossedMilestones, geometricRungs, percentile } from "./common.ts";

export interface AshaOptions {
  direction?: Direction;
  /** Epochs every trial gets before it can be stopped (first rung). */
  gracePeriod?: number;
  /** Reduction factor eta. */
  eta?: number;
  /** Maximum fidelity (epochs); trials reaching it are never stopped. */
  maxT?: number;
}

/**
 * Asynchronous successive halving (Li et al. 2020), in the stopping form Ray Tune uses: rungs at
 * grace * eta^k below maxT; a trial crossing a rung continues only if its value is at least as good
 * as the 1/eta quantile of all values recorded at that rung so far (its own included), so nobody
 * waits for a cohort to finish. MLPF's setting was maxT 200, grace 10, eta 4.
 */
export class AshaScheduler implements Scheduler {
  readonly name = "asha";
  readonly rungs: number[];
  private readonly direction: Direction;
  private readonly eta: number;
  private readonly maxT: number;

  constructor(options: AshaOptions = {}) {
    this.direction = options.direction ?? "minimize";
    this.eta = options.eta ?? 4;
    this.maxT = options.maxT ?? 100;
    this.rungs = geometricRungs(options.gracePeriod ?? 1, this.eta, this.maxT);
  }

  shouldPrune(trial: StoredTrial, step: number, value: number, all: readonly StoredTrial[]): boolean {
    if (step >= this.maxT) return false;
    for (const rung of crossedMilestones(trial, step, this.rungs)) {
      const loss = asLoss(value, this.direction);
      const values = competitorValues(all, trial, rung).map((v) => asLoss(v, this.direction));
      values.push(loss);
      if (loss > percentile(values, 100 / this.eta)) return true;
    }
    return false;
  }
}

export const ashaEntry = defineScheduler({
  name: "asha",
  description: "Asynchronous successive halving: promotes the top 1/eta at each rung without waiting.",
  options: z
    .object({
      direction: directionOption,
      gracePeriod: option(z.number().positive(), {
        description: "Epochs every trial gets before it can be stopped (first rung)",
        default: 1,
      }),
      eta: option(z.number().min(2), { description: "Reduction factor", default: 4 }),
      maxT: option(z.number().positive(), {
        description: "Maximum epochs; trials reaching it are never stopped",
        default: 100,
      }),
    })
    .strict(),
  create: (options) => new AshaScheduler(options),
});
