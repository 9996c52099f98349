import { describe, expect, it } from "vitest";
import { GpSampler, logExpectedImprovement, refitPoint } from "./gp.ts";
import { RandomSampler } from "./random.ts";
import {
  bestValue,
  branin,
  branin2,
  conditionalObjective,
  conditionalSpace,
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
});
