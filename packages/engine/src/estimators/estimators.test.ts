import { describe, expect, it } from "vitest";
import { BlockMatrix, PointSet } from "../data/covariance.ts";
import { randomSpd, referenceChi2, testRandom } from "../testing/reference.ts";
import {
  averageBest,
  closureEstimators,
  foldEstimators,
  foldStatistic,
  L3_MAX,
  PHI2_FLOOR,
  phi2Spread,
  selectConfiguration,
  trialLosses,
} from "./estimators.ts";

function ensemble(n: number, R: number, seed: number) {
  const rnd = testRandom(seed);
  const truth = Array.from({ length: n }, () => 1 + rnd.uniform());
  const data = truth.map((t) => t + 0.1 * rnd.normal());
  const preds = Array.from({ length: R }, () => truth.map((t) => t + 0.05 * rnd.normal() + 0.02));
  return { truth, data, preds };
}

describe("ensemble estimators (float64)", () => {
  const n = 30;
  const cov = randomSpd(n, 1e3, 11).map((v) => v * 0.01);
  const idx = Array.from({ length: n }, (_, i) => i).filter((i) => i % 4 !== 0);
  const set = new PointSet(idx, BlockMatrix.fromSquare({ n, data: cov }));
  const { truth, data, preds } = ensemble(n, 25, 2);

  it("per-replica chi2, central chi2 and phi2 match a direct formula to 1e-10", () => {
    const est = foldEstimators(set, preds, data);
    const ref = preds.map((p) => referenceChi2(cov, n, idx, p, data));
    est.replicaChi2.forEach((v, r) => {
      expect(Math.abs(v - ref[r]!) / ref[r]!).toBeLessThan(1e-10);
    });
    const mean = data.map((_, i) => preds.reduce((a, p) => a + p[i]!, 0) / preds.length);
    const central = referenceChi2(cov, n, idx, mean, data);
    expect(Math.abs(est.centralChi2 - central) / central).toBeLessThan(1e-10);
    const refMean = ref.reduce((a, b) => a + b, 0) / ref.length;
    expect(Math.abs(est.meanChi2 - refMean) / refMean).toBeLessThan(1e-10);
    expect(Math.abs(est.phi2 - (refMean - central)) / (refMean - central)).toBeLessThan(1e-10);
  });

  it("phi2 = ⟨chi2⟩ − chi2[⟨T⟩] equals the spread mean_r (T_r − ⟨T⟩)ᵀ C⁻¹ (T_r − ⟨T⟩) / N to 1e-8", () => {
    for (const seed of [1, 2, 3]) {
      const e = ensemble(n, 10 + seed * 7, seed);
      const est = foldEstimators(set, e.preds, e.data);
      const mean = e.data.map((_, i) => e.preds.reduce((a, p) => a + p[i]!, 0) / e.preds.length);
      const spread =
        e.preds.map((p) => referenceChi2(cov, n, idx, p, mean)).reduce((a, b) => a + b, 0) / e.preds.length;
      expect(Math.abs(est.phi2 - spread) / spread).toBeLessThan(1e-8);
      expect(Math.abs(phi2Spread(set, e.preds) - spread) / spread).toBeLessThan(1e-10);
    }
  });

  it("average_best keeps the best 90% of replicas", () => {
    const v = [5, 1, 2, 3, 4, 6, 7, 8, 9, 100];
    expect(averageBest(v)).toBeCloseTo((1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9) / 9, 12);
    const est = foldEstimators(set, preds, data, { averageBest: true });
    const sorted = [...est.replicaChi2].sort((a, b) => a - b).slice(0, Math.round(0.9 * preds.length));
    expect(est.meanChi2).toBeCloseTo(sorted.reduce((a, b) => a + b, 0) / sorted.length, 12);
  });

  it("fold statistics and trial losses", () => {
    expect(foldStatistic([1, 2, 3], "average")).toBe(2);
    expect(foldStatistic([1, 2, 3], "best_worst")).toBe(3);
    expect(foldStatistic([1, 2, 3], "std")).toBeCloseTo(Math.sqrt(2 / 3), 12);
    const l = trialLosses([
      { meanChi2: 1.2, phi2: 0.2 },
      { meanChi2: 1.6, phi2: 0.4 },
    ]);
    expect(l.L1).toBeCloseTo(1.4, 12);
    expect(l.L2).toBe(1.6);
    expect(l.phi2).toBeCloseTo(0.3, 12);
    expect(l.L3).toBeCloseTo(1 / 0.3, 12);
  });

  it("an ensemble without spread (one replica, identical replicas) has phi2 = 0 and L3 = L3_MAX", () => {
    // Closed form: with every T_r = T, ⟨chi2⟩ = chi2[⟨T⟩] = chi2(T, D), so phi2 = 0 and L3 is defined
    // as 1 / PHI2_FLOOR (it was 1/0 = ∞, stored as NULL into a NOT NULL column).
    expect(L3_MAX).toBe(1e12);
    const one = foldEstimators(set, [preds[0]!], data);
    expect(one.replicaChi2).toEqual([one.centralChi2]);
    expect(Math.abs(one.centralChi2 - referenceChi2(cov, n, idx, preds[0]!, data))).toBeLessThan(1e-10);
    expect(one.phi2).toBe(0);
    expect(phi2Spread(set, [preds[0]!])).toBe(0);
    const identical = foldEstimators(set, [preds[1]!, preds[1]!, preds[1]!], data);
    expect(Math.abs(identical.phi2)).toBeLessThan(1e-12);
    for (const folds of [[one], [identical], [one, identical]]) {
      const l = trialLosses(folds);
      expect(l.L3).toBe(L3_MAX);
      expect(Number.isFinite(l.L3)).toBe(true);
      expect(JSON.parse(JSON.stringify(l))).toEqual(l);
    }
    // A rounding residue below zero is floored too, never a negative or infinite L3.
    expect(trialLosses([{ meanChi2: 1, phi2: -3e-17 }]).L3).toBe(L3_MAX);
    // Above the floor L3 is exactly 1/phi2; it never increases as phi2 grows.
    expect(trialLosses([{ meanChi2: 1, phi2: 2 * PHI2_FLOOR }]).L3).toBe(1 / (2 * PHI2_FLOOR));
    expect(trialLosses([{ meanChi2: 1, phi2: 0.25 }]).L3).toBe(4);
  });

  it("closure bias and variance follow their definitions", () => {
    const c = closureEstimators(set, preds, truth);
    const mean = truth.map((_, i) => preds.reduce((a, p) => a + p[i]!, 0) / preds.length);
    expect(c.bias).toBeCloseTo(referenceChi2(cov, n, idx, mean, truth), 10);
    expect(c.variance).toBeCloseTo(phi2Spread(set, preds), 12);
  });

  it("selects the largest phi2 within one std of the best L1", () => {
    const trials = [
      { id: "a", L1: 1.0, phi2: 0.1 },
      { id: "b", L1: 1.05, phi2: 0.3 },
      { id: "c", L1: 1.1, phi2: 0.5 },
      { id: "d", L1: 2.0, phi2: 0.9 },
      { id: "e", L1: Number.NaN, phi2: 2 },
    ];
    const sel = selectConfiguration(trials);
    const l1 = [1.0, 1.05, 1.1, 2.0];
    const m = l1.reduce((a, b) => a + b, 0) / 4;
    const sd = Math.sqrt(l1.reduce((a, b) => a + (b - m) ** 2, 0) / 4);
    expect(sel.argmin).toBe("a");
    expect(sel.window[1]).toBeCloseTo(1 + sd, 12);
    expect(sel.selected).toBe("c");
    expect(sel.top10).toEqual(["c", "b", "a"]);
  });
});
