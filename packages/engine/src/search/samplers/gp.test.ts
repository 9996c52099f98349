import { describe, expect, it } from "vitest";
import type { StoredTrial } from "../types.ts";
import { GpSampler, logExpectedImprovement, refitPoint } from "./gp.ts";
import { RandomSampler } from "./random.ts";
import {
  bestValue,
  branin,
  branin2,
  conditionalObjective,
  conditionalSpace,
  median,
  runSequential,
} from "./testing.ts";

describe("GP-BO sampler", () => {
  it("log EI matches the closed form and stays finite far in the tail", () => {
    // EI(mu=0, sd=1, best=0) = phi(0) = 0.3989...
    expect(Math.exp(logExpectedImprovement(0, 1, 0))).toBeCloseTo(0.3989422804, 6);
    // mu=1, sd=2, best=0: z=-0.5 -> sd*(z Phi(z) + phi(z)) = 2*(-0.5*0.3085375 + 0.3520653) = 0.3955932
    expect(Math.exp(logExpectedImprovement(1, 2, 0))).toBeCloseTo(0.3955932, 5);
    expect(Number.isFinite(logExpectedImprovement(100, 1, 0))).toBe(true);
    expect(logExpectedImprovement(100, 1, 0)).toBeLessThan(logExpectedImprovement(10, 1, 0));
  });

  it("refits on every result early, then on a fixed schedule", () => {
    expect([5, 30, 31, 34, 35, 52].map((n) => refitPoint(n, 30, 5))).toEqual([5, 30, 30, 30, 35, 50]);
  });

  it("finds Branin's minimum far faster than random (EI and UCB)", () => {
    for (const acquisition of ["ei", "ucb"] as const) {
      const gp = bestValue(runSequential(new GpSampler(1, { acquisition }), branin2, branin, 30));
      const random = bestValue(runSequential(new RandomSampler(1), branin2, branin, 30));
      expect(gp - 0.397887).toBeLessThan(0.05);
      expect(gp).toBeLessThan(random);
    }
  });

  it("handles log-scaled, integer, categorical and conditional parameters", () => {
    const trials = runSequential(new GpSampler(3), conditionalSpace, conditionalObjective, 20);
    expect(trials).toHaveLength(20);
    expect(runSequential(new GpSampler(3), conditionalSpace, conditionalObjective, 20)).toEqual(trials);
  });

  it("spreads a batch over pending trials (believer and/or local penalisation) where ignoring them would cluster", () => {
    const history = runSequential(new GpSampler(4), branin2, branin, 12);
    // Median distance to the nearest other proposal among 8 asks made while the earlier ones are
    // still running; "FAIL" marks a trial the sampler ignores but that advances its generator.
    const spread = (sampler: GpSampler, state: StoredTrial["state"]) => {
      const batch: StoredTrial[] = [];
      for (let k = 0; k < 8; k++) {
        const params = sampler.ask(branin2, [...history, ...batch]);
        batch.push({ number: 12 + k, params, state });
      }
      const nearest = batch.map((a, i) =>
        Math.min(
          ...batch
            .filter((_, j) => j !== i)
            .map((b) =>
              Math.hypot(
                ((a.params["x0"] as number) - (b.params["x0"] as number)) / 15,
                ((a.params["x1"] as number) - (b.params["x1"] as number)) / 15,
              ),
            ),
        ),
      );
      return median(nearest);
    };
    const penalised = spread(new GpSampler(4), "RUNNING");
    const ignored = spread(new GpSampler(4), "FAIL");
    expect(penalised).toBeGreaterThan(0.02);
    expect(penalised).toBeGreaterThan(5 * ignored);
    expect(spread(new GpSampler(4, { pending: "believer" }), "RUNNING")).toBeGreaterThan(5 * ignored);
    expect(spread(new GpSampler(4, { pending: "penalise" }), "RUNNING")).toBeGreaterThan(5 * ignored);
  });
});
