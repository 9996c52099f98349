import { syntheticTheory } from "@hyperensemble/engine";
import { describe, expect, it } from "vitest";
import { postfitSelection, type ReplicaStats, trainFit } from "./fitTrain.ts";

const stats = (chi2: number[], over: Record<number, Partial<ReplicaStats>> = {}): ReplicaStats[] =>
  chi2.map((c, r) => ({
    replica: r,
    chi2: c,
    validationChi2: c,
    trainingEpochs: 100,
    positivity: 0,
    integrability: 0,
    ...over[r],
  }));

describe("post-fit selection", () => {
  it("discards replicas outside mean + nσ in χ², then those failing positivity or integrability", () => {
    const chi2 = [...Array.from({ length: 20 }, (_, i) => 1 + (i % 5) * 0.01), 50];
    const sel = postfitSelection(stats(chi2, { 3: { positivity: -0.1 }, 4: { integrability: 2 } }), {
      chi2Sigma: 4,
      positivityTolerance: 1e-6,
      integrabilityThreshold: 1,
    });
    expect(sel.discarded).toEqual({ chi2: [20], positivity: [3], integrability: [4] });
    expect(sel.kept).toHaveLength(18);
    expect(sel.kept).not.toContain(3);
    // without the integrability check replica 4 stays; a looser σ keeps the outlier
    expect(postfitSelection(stats(chi2), { chi2Sigma: 4, positivityTolerance: 1e-6 }).kept).toHaveLength(20);
    expect(postfitSelection(stats(chi2), { chi2Sigma: 100, positivityTolerance: 1e-6 }).kept).toHaveLength(
      21,
    );
    // a NaN χ² is never kept
    expect(postfitSelection(stats([1, Number.NaN, 1.1])).discarded.chi2).toEqual([1]);
  });
});

describe("trainFit", () => {
  it("trains R replicas on all data, scores each, selects, and tables χ² per sub-dataset", async () => {
    const theory = syntheticTheory({ subsets: 4, pointsPerSubset: 8, gridPoints: 20, level: 2 });
    const res = await trainFit(
      {
        task: { kind: "theory", dataset: theory },
        replicas: 6,
        folds: 3,
        seed: 9,
        maxEpochs: 120,
        reportEvery: 40,
        params: { n_layers: 2, units_1: 12, units_2: 8, learning_rate: 0.01 },
        backend: "wasm",
      },
      { rule: { chi2Sigma: 4, positivityTolerance: 1e-6 } },
    );
    expect(res.replicas.map((r) => r.replica)).toEqual([0, 1, 2, 3, 4, 5]);
    const { kept, discarded } = res.selection;
    expect(
      kept.length + discarded.chi2.length + discarded.positivity.length + discarded.integrability.length,
    ).toBe(6);
    expect(res.outputs).toHaveLength(6);
    expect(res.outputs[0]).toHaveLength(20 * 3);
    expect(res.datasets.map((d) => d.name)).toEqual(["DIS_1", "DIS_2", "DIS_3", "DIS_4"]);
    for (const r of res.replicas) {
      expect(Number.isFinite(r.chi2)).toBe(true);
      expect(r.trainingEpochs).toBeGreaterThan(0);
      expect(r.trainingEpochs).toBeLessThanOrEqual(120);
    }
    expect(res.phi2).toBeGreaterThan(0);
    expect(res.truth).toHaveLength(20);
  }, 300_000);
});
