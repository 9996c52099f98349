import { describe, expect, it } from "vitest";
import {
  closureOf,
  experiments,
  normalPdf,
  physicsFields,
  pooledChi2,
  pullHistogram,
  pulls,
  ratioToTruth,
} from "./physics-math";

describe("pulls and their histogram", () => {
  it("pull = (data − prediction) / error, skipping points without a positive error", () => {
    expect(pulls({ central: [1, 2, 3, 4], error: [0.5, 0, 2, -1], prediction: [0, 2, 4, 4] })).toEqual([
      2, -0.5,
    ]);
  });

  it("fixed bins over ±4: counts, under/overflow, a density that integrates to the share inside", () => {
    const values = [-5, -4, -3.99, -0.25, 0, 0.49, 0.5, 3.99, 4, 7];
    const h = pullHistogram(values);
    expect(h.bins).toHaveLength(16);
    expect(h.bins[0]).toMatchObject({ lo: -4, hi: -3.5, count: 2 });
    expect(h.bins[7]).toMatchObject({ lo: -0.5, hi: 0, count: 1 });
    expect(h.bins[8]).toMatchObject({ lo: 0, hi: 0.5, count: 2 });
    expect(h.bins[9]!.count).toBe(1);
    expect(h.bins[15]!.count).toBe(1);
    expect(h.underflow).toBe(1);
    expect(h.overflow).toBe(2);
    expect(h.n).toBe(10);
    const inside = h.bins.reduce((a, b) => a + b.density * h.width, 0);
    expect(inside).toBeCloseTo(7 / 10, 12);
    expect(h.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / 10, 12);
    expect(h.rms).toBeCloseTo(Math.sqrt(values.reduce((a, b) => a + b * b, 0) / 10), 12);
  });

  it("standard normal pulls fill the bins like the unit normal (deterministic quantiles)", () => {
    // Pulls at the normal quantiles of (i + 0.5)/n via a bisection on the error function's series.
    const cdf = (x: number) => {
      let s = 0;
      let term = x;
      for (let k = 0; k < 200; k++) {
        s += term / (2 * k + 1);
        term *= (-x * x) / 2 / (k + 1);
      }
      return 0.5 + s / Math.sqrt(2 * Math.PI);
    };
    const quantile = (p: number) => {
      let lo = -8;
      let hi = 8;
      for (let i = 0; i < 80; i++) {
        const mid = (lo + hi) / 2;
        if (cdf(mid) < p) lo = mid;
        else hi = mid;
      }
      return (lo + hi) / 2;
    };
    const n = 4000;
    const values = Array.from({ length: n }, (_, i) => quantile((i + 0.5) / n));
    const h = pullHistogram(values);
    for (const b of h.bins) {
      const expected = (cdf(b.hi) - cdf(b.lo)) / h.width;
      expect(Math.abs(b.density - expected)).toBeLessThan(2e-3);
    }
    expect(h.rms).toBeCloseTo(1, 2);
    expect(normalPdf(0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
  });

  it("an empty set has no mean and no density", () => {
    const h = pullHistogram([]);
    expect(h.n).toBe(0);
    expect(Number.isNaN(h.mean)).toBe(true);
    expect(h.bins.every((b) => b.density === 0)).toBe(true);
  });
});

describe("χ²/N rows", () => {
  const rows = [
    { name: "A", points: 10, training: { central: 1, replica: 1.5 }, heldOut: { central: 2, replica: 3 } },
    { name: "B", points: 30, training: { central: 2, replica: 2.5 }, heldOut: null },
  ];
  it("pools sub-datasets weighted by their points", () => {
    expect(pooledChi2(rows, "training", "central")).toBeCloseTo((10 * 1 + 30 * 2) / 40, 12);
    expect(pooledChi2(rows, "heldOut", "replica")).toBe(3);
    expect(pooledChi2([rows[1]!], "heldOut", "central")).toBeNull();
  });

  it("reads the stored fields, and nothing from a malformed or older row", () => {
    expect(physicsFields({ x: [], flavours: [], subsetChi2: rows, stoppingEpochs: [4] })).toEqual({
      subsetChi2: rows,
      stoppingEpochs: [4],
    });
    expect(physicsFields({ subsetChi2: [{ name: 1 }] })).toEqual({});
    expect(physicsFields(null)).toEqual({});
  });
});

describe("experiments, ratios and closure", () => {
  it("cuts the data into its sub-datasets, or one experiment when none are named", () => {
    const d = { x: [1, 2, 3], central: [1, 2, 3], error: [1, 1, 1], prediction: [1, 2, 3] };
    expect(experiments(d)).toEqual([{ name: "data", points: [0, 1, 2] }]);
    expect(
      experiments({
        ...d,
        subsets: [
          { name: "a", start: 0, end: 2 },
          { name: "b", start: 2, end: 3 },
          { name: "empty", start: 3, end: 3 },
        ],
      }),
    ).toEqual([
      { name: "a", points: [0, 1] },
      { name: "b", points: [2] },
    ]);
  });

  it("divides band and replica curves by the truth; a zero truth is a gap", () => {
    const r = ratioToTruth({
      name: "g",
      mean: [2, 3, 1],
      lower: [1, 3, 1],
      upper: [4, 3, 1],
      truth: [2, 3, 0],
      replicas: [[1, 6, 1]],
    });
    expect(r?.mean.slice(0, 2)).toEqual([1, 1]);
    expect(r?.lower.slice(0, 2)).toEqual([0.5, 1]);
    expect(r?.replicas?.[0]?.slice(0, 2)).toEqual([0.5, 2]);
    expect(Number.isNaN(r!.mean[2]!)).toBe(true);
    expect(ratioToTruth({ name: "g", mean: [1], lower: [1], upper: [1] })).toBeNull();
  });

  it("closure ratio = bias / variance; none without a truth", () => {
    expect(closureOf({ closureBias: 0.5, closureVariance: 0.25 })).toEqual({
      bias: 0.5,
      variance: 0.25,
      ratio: 2,
    });
    expect(closureOf({ closureBias: null, closureVariance: null })).toBeNull();
  });
});
