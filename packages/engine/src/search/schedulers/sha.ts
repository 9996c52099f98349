import { z } from "zod";
import { defineScheduler, directionOption, option } from "../define.ts";
import type { Direction, Scheduler, StoredTrial } from "../types.ts";
import { asLoss, competitorValues, crossedMilestones, geometricRungs } from "./common.ts";

export interface SuccessiveHalvingOptions {
  direction?: Direction;
  /** Fidelity of the first rung (epochs). */
  minResource?: number;
  /** Reduction factor eta: roughly 1/eta of trials pass each rung. */
  eta?: number;
  /** Skips the first rungs: the first rung sits at minResource * eta^minEarlyStoppingRate. */
  minEarlyStoppingRate?: number;
  /** Fidelity at which trials finish; no rung at or beyond it. */
  maxResource?: number;
  /** Only trials for which this returns true compete (Hyperband brackets). */
  sameBracket?: (a: StoredTrial, b: StoredTrial) => boolean;
}

/**
 * Successive halving with Optuna's rule (SuccessiveHalvingPruner): at each rung a trial continues
 * only if it ranks within the top floor(n/eta) of the n trials recorded there (at least the best one).
 */
export class SuccessiveHalvingScheduler implements Scheduler {
  readonly name: string = "sha";
  readonly rungs: number[];
  private readonly direction: Direction;
  private readonly eta: number;

  constructor(private readonly options: SuccessiveHalvingOptions = {}) {
    this.direction = options.direction ?? "minimize";
    this.eta = options.eta ?? 4;
    const first = (options.minResource ?? 1) * this.eta ** (options.minEarlyStoppingRate ?? 0);
    this.rungs = geometricRungs(first, this.eta, options.maxResource ?? Number.MAX_SAFE_INTEGER);
  }

  shouldPrune(trial: StoredTrial, step: number, value: number, all: readonly StoredTrial[]): boolean {
    const crossed = crossedMilestones(trial, step, this.rungs);
    if (crossed.length === 0) return false;
    const bracket = this.options.sameBracket;
    const peers = bracket ? all.filter((t) => bracket(t, trial)) : all;
    for (const rung of crossed) {
      const loss = asLoss(value, this.direction);
      const values = competitorValues(peers, trial, rung).map((v) => asLoss(v, this.direction));
      values.push(loss);
      values.sort((a, b) => a - b);
      const promotable = Math.max(0, Math.floor(values.length / this.eta) - 1);
      if (loss > values[promotable]!) return true;
    }
    return false;
  }
}

export const shaEntry = defineScheduler({
  name: "sha",
  description: "Successive halving: about 1/eta of trials pass each rung (Optuna's rule).",
  options: z
    .object({
      direction: directionOption,
      minResource: option(z.number().positive(), { description: "Epochs of the first rung", default: 1 }),
      eta: option(z.number().min(2), { description: "Reduction factor", default: 4 }),
      minEarlyStoppingRate: option(z.number().int().min(0), {
        description: "Skips the first rungs: the first sits at minResource * eta^rate",
        default: 0,
      }),
      maxResource: option(z.number().positive(), {
        description: "Epochs at which trials finish; no rung at or beyond it",
        default: "unbounded",
      }),
    })
    .strict(),
  create: (options) => new SuccessiveHalvingScheduler(options),
});
