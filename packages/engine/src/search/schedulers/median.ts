import { z } from "zod";
import { defineScheduler, directionOption, option } from "../define.ts";
import type { Direction, Scheduler, StoredTrial } from "../types.ts";
import { asLoss, percentile, valueAtMilestone } from "./common.ts";

export interface MedianStoppingOptions {
  direction?: Direction;
  /** Completed trials needed before anything is pruned. */
  nStartupTrials?: number;
  /** Steps before which a trial is never pruned. */
  nWarmupSteps?: number;
  /** Other trials needed at the step being judged. */
  nMinTrials?: number;
}

/**
 * Median stopping rule (Golovin 2017; Optuna's MedianPruner): stop a trial whose best value so far is
 * worse than the median of completed trials' values at the same step.
 */
export class MedianStoppingScheduler implements Scheduler {
  readonly name = "median";
  private readonly direction: Direction;
  private readonly nStartupTrials: number;
  private readonly nWarmupSteps: number;
  private readonly nMinTrials: number;

  constructor(options: MedianStoppingOptions = {}) {
    this.direction = options.direction ?? "minimize";
    this.nStartupTrials = options.nStartupTrials ?? 5;
    this.nWarmupSteps = options.nWarmupSteps ?? 0;
    this.nMinTrials = options.nMinTrials ?? 1;
  }

  shouldPrune(trial: StoredTrial, step: number, value: number, all: readonly StoredTrial[]): boolean {
    if (step < this.nWarmupSteps) return false;
    const completed = all.filter((t) => t.state === "COMPLETE" && t.number !== trial.number);
    if (completed.length < this.nStartupTrials) return false;
    const others: number[] = [];
    for (const t of completed) {
      const v = valueAtMilestone(t, step);
      if (v !== undefined && Number.isFinite(v)) others.push(asLoss(v, this.direction));
    }
    if (others.length < this.nMinTrials) return false;
    let best = asLoss(value, this.direction);
    for (const [s, v] of trial.intermediate ?? [])
      if (s <= step) best = Math.min(best, asLoss(v, this.direction));
    return best > percentile(others, 50);
  }
}

export const medianEntry = defineScheduler({
  name: "median",
  description: "Stops a trial whose best value is worse than the median of others at the same step.",
  options: z
    .object({
      direction: directionOption,
      nStartupTrials: option(z.number().int().min(0), {
        description: "Completed trials needed before anything is pruned",
        default: 5,
      }),
      nWarmupSteps: option(z.number().min(0), {
        description: "Steps before which a trial is never pruned",
        default: 0,
      }),
      nMinTrials: option(z.number().int().min(1), {
        description: "Other trials needed at the step being judged",
        default: 1,
      }),
    })
    .strict(),
  create: (options) => new MedianStoppingScheduler(options),
});
