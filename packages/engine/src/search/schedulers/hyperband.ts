import { z } from "zod";
import { mixSeed } from "../../rng.ts";
import { defineScheduler, directionOption, option } from "../define.ts";
import type { Direction, Scheduler, StoredTrial } from "../types.ts";
import { SuccessiveHalvingScheduler } from "./sha.ts";

export interface HyperbandOptions {
  direction?: Direction;
  minResource?: number;
  maxResource?: number;
  eta?: number;
  seed?: number;
}

/**
 * Hyperband (Li et al. 2018): several successive-halving brackets, from aggressive (first rung at
 * minResource) to none (trials run to maxResource). Each trial is hashed to a bracket with probability
 * proportional to the bracket's budget, and competes only with trials of its bracket.
 */
export class HyperbandScheduler implements Scheduler {
  readonly name = "hyperband";
  readonly brackets: SuccessiveHalvingScheduler[];
  private readonly weights: number[];
  private readonly seed: number;

  constructor(options: HyperbandOptions = {}) {
    const eta = options.eta ?? 3;
    const minR = options.minResource ?? 1;
    const maxR = options.maxResource ?? 81;
    this.seed = options.seed ?? 0;
    const sMax = Math.floor(Math.log(maxR / minR) / Math.log(eta) + 1e-9);
    this.brackets = [];
    this.weights = [];
    for (let b = 0; b <= sMax; b++) {
      this.brackets.push(
        new SuccessiveHalvingScheduler({
          direction: options.direction ?? "minimize",
          minResource: minR,
          eta,
          minEarlyStoppingRate: b,
          maxResource: maxR,
          sameBracket: (x, y) => this.bracketOf(x) === this.bracketOf(y),
        }),
      );
      this.weights.push(Math.ceil((sMax + 1) / (sMax - b + 1)) * eta ** (sMax - b));
    }
  }

  /** Bracket index of a trial (0 = most aggressive), a pure function of the trial number and seed. */
  bracketOf(trial: StoredTrial): number {
    const total = this.weights.reduce((a, b) => a + b, 0);
    let r = mixSeed(this.seed, trial.number) % total;
    for (let b = 0; b < this.weights.length; b++) {
      r -= this.weights[b]!;
      if (r < 0) return b;
    }
    return this.weights.length - 1;
  }

  shouldPrune(trial: StoredTrial, step: number, value: number, all: readonly StoredTrial[]): boolean {
    return this.brackets[this.bracketOf(trial)]!.shouldPrune(trial, step, value, all);
  }
}

export const hyperbandEntry = defineScheduler({
  name: "hyperband",
  description:
    "Hyperband: successive-halving brackets from aggressive to none, each trial in a seeded bracket.",
  options: z
    .object({
      direction: directionOption,
      minResource: option(z.number().positive(), { description: "Epochs of the first rung", default: 1 }),
      maxResource: option(z.number().positive(), { description: "Epochs of a full trial", default: 81 }),
      eta: option(z.number().min(2), { description: "Reduction factor", default: 3 }),
    })
    .strict(),
  create: (options, seed) => new HyperbandScheduler({ ...options, seed }),
});
