import { describe, expect, it } from "vitest";
import { parseSearchSpace } from "../space.ts";
import { SobolSampler, sobolPoint } from "./sobol.ts";
import { conditionalObjective, conditionalSpace, runSequential } from "./testing.ts";

describe("Sobol sampler", () => {
  it("reproduces the Joe-Kuo sequence (scipy.stats.qmc.Sobol, scramble=False)", () => {
    const expected = [
      [0.0, 0.0, 0.0],
      [0.5, 0.5, 0.5],
      [0.75, 0.25, 0.25],
      [0.25, 0.75, 0.75],
      [0.375, 0.375, 0.625],
      [0.875, 0.875, 0.125],
      [0.625, 0.125, 0.875],
      [0.125, 0.625, 0.375],
    ];
    expect(expected.map((_, i) => sobolPoint(i, 3))).toEqual(expected);
    // Deep dimensions and a later index, from scipy: point 299, dims 0, 1, 10, 20, 40, 63; point 37, dims 5, 33, 63.
    const p299 = sobolPoint(299, 64);
    expect([0, 1, 10, 20, 40, 63].map((d) => p299[d])).toEqual([
      0.490234375, 0.669921875, 0.876953125, 0.361328125, 0.701171875, 0.326171875,
    ]);
    const p37 = sobolPoint(37, 64);
    expect([5, 33, 63].map((d) => p37[d])).toEqual([0.296875, 0.359375, 0.828125]);
  });

  it("maps points into the space (unscrambled first point is the lower corner)", () => {
    const space = parseSearchSpace({
      a: { type: "float", low: -1, high: 1 },
      b: { type: "float", low: 1, high: 100, log: true },
    });
    const s = new SobolSampler(0, false);
    expect(s.ask(space, [])).toEqual({ a: -1, b: 1 });
    const second = runSequential(s, space, () => 0, 2)[1]!.params;
    expect(second["a"]).toBe(0);
    expect(second["b"]).toBeCloseTo(10, 12);
  });

  it("stays valid on a conditional space, scrambled by seed", () => {
    const a = runSequential(new SobolSampler(1), conditionalSpace, conditionalObjective, 64);
    const b = runSequential(new SobolSampler(2), conditionalSpace, conditionalObjective, 64);
    expect(a[0]!.params).not.toEqual(b[0]!.params);
  });
});
