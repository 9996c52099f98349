import { describe, expect, it } from "vitest";
import { RandomSampler } from "./random.ts";
import { conditionalObjective, conditionalSpace, runSequential } from "./testing.ts";

describe("random sampler", () => {
  it("stays inside the space, honours conditions, and is deterministic per seed and history", () => {
    const a = runSequential(new RandomSampler(3), conditionalSpace, conditionalObjective, 200);
    const b = runSequential(new RandomSampler(3), conditionalSpace, conditionalObjective, 200);
    expect(a).toEqual(b);
    expect(a.some((t) => "units_3" in t.params)).toBe(true);
    expect(a.some((t) => !("units_3" in t.params))).toBe(true);
    expect(a.some((t) => "momentum" in t.params)).toBe(true);
    const other = runSequential(new RandomSampler(4), conditionalSpace, conditionalObjective, 5);
    expect(other[0]!.params).not.toEqual(a[0]!.params);
  });

  it("draws log parameters log-uniformly", () => {
    const trials = runSequential(new RandomSampler(1), conditionalSpace, conditionalObjective, 600);
    const lrs = trials.flatMap((t) =>
      typeof t.params["lr_adam"] === "number" ? [Math.log10(t.params["lr_adam"])] : [],
    );
    const lowerHalf = lrs.filter((v) => v < -3.5).length / lrs.length;
    expect(lowerHalf).toBeGreaterThan(0.4);
    expect(lowerHalf).toBeLessThan(0.6);
  });
});
