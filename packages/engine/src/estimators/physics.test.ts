import { describe, expect, it } from "vitest";
import { assignFolds } from "../data/replicas.ts";
import { buildClosureTask } from "../tasks/closure.ts";
import { referenceChi2, testRandom } from "../testing/reference.ts";
import { physicsFieldsSchema, subsetChi2 } from "./physics.ts";

describe("subsetChi2 (float64, each sub-dataset through its own covariance block)", () => {
  const ds = buildClosureTask(1, 5).dataset;
  const n = ds.nPoints;
  // The reference inverts the dense covariance restricted to the sub-dataset by Gaussian
  // elimination: independent of the engine's block Cholesky.
  const dense = Array.from({ length: n * n }, (_, a) => ds.cov.entry(Math.floor(a / n), a % n));
  const R = 6;

  function ensemble(K: number, seed: number) {
    const rnd = testRandom(seed);
    return Array.from({ length: K * R }, () =>
      Array.from(ds.central, (d, i) => d + 0.05 * rnd.normal() * Math.sqrt(ds.cov.variance(i)) * 10),
    );
  }
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

  it("held-out and training χ²/N, central and replica mean, match a dense reference to 1e-10", () => {
    const folds = assignFolds(ds, 3, 7);
    const preds = ensemble(3, 1);
    const got = subsetChi2(ds, folds, preds);
    expect(ds.subsets.some((s) => s.alwaysFitted)).toBe(true);
    expect(got).toHaveLength(ds.subsets.length);
    ds.subsets.forEach((subset, j) => {
      const idx = [...subset.indices];
      const per = (k: number) => {
        const fold = preds.slice(k * R, (k + 1) * R);
        const centre = Array.from(ds.central, (_, i) => fold.reduce((a, p) => a + p[i]!, 0) / R);
        return {
          central: referenceChi2(dense, n, idx, centre, ds.central),
          replica: fold.reduce((a, p) => a + referenceChi2(dense, n, idx, p, ds.central), 0) / R,
        };
      };
      const k = folds.findIndex((f) => f.includes(j));
      const row = got[j]!;
      expect(row.name).toBe(subset.name);
      expect(row.points).toBe(idx.length);
      if (subset.alwaysFitted) {
        expect(k).toBe(-1);
        expect(row.heldOut).toBeNull();
      } else {
        const held = per(k);
        expect(rel(row.heldOut!.central, held.central)).toBeLessThan(1e-10);
        expect(rel(row.heldOut!.replica, held.replica)).toBeLessThan(1e-10);
      }
      const others = [0, 1, 2].filter((f) => f !== k).map(per);
      const train = {
        central: others.reduce((a, o) => a + o.central, 0) / others.length,
        replica: others.reduce((a, o) => a + o.replica, 0) / others.length,
      };
      expect(rel(row.training!.central, train.central)).toBeLessThan(1e-10);
      expect(rel(row.training!.replica, train.replica)).toBeLessThan(1e-10);
      // The mean of replica χ² is at least the χ² of their mean (φ² ≥ 0 on any set).
      expect(row.training!.replica).toBeGreaterThanOrEqual(row.training!.central);
    });
  });

  it("with one fold nothing is held out", () => {
    const got = subsetChi2(ds, [[]], ensemble(1, 2));
    for (const row of got) {
      expect(row.heldOut).toBeNull();
      expect(Number.isFinite(row.training!.central)).toBe(true);
    }
  });

  it("the stored fields parse; a non-finite χ² is refused naming its field", () => {
    const subsets = subsetChi2(ds, assignFolds(ds, 2, 3), ensemble(2, 3));
    expect(physicsFieldsSchema.parse({ subsetChi2: subsets, stoppingEpochs: [3, 10] }).subsetChi2).toEqual(
      subsets,
    );
    const bad = physicsFieldsSchema.safeParse({
      subsetChi2: [{ name: "a", points: 2, training: { central: Number.NaN, replica: 1 }, heldOut: null }],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/^subsetChi2\.training\.central must be/);
    const epochs = physicsFieldsSchema.safeParse({ stoppingEpochs: [1.5] });
    expect(epochs.error?.issues[0]?.message).toBe("stoppingEpochs must be whole epochs");
  });
});
