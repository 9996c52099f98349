import { describe, expect, it } from "vitest";
import { mean } from "../estimators/estimators.ts";
import { runTrial } from "../trial.ts";
import { syntheticTheory } from "./theorySynthetic.ts";

/**
 * Closure tests on a theory as a user uploads it (the synthetic DIS-like generator's JSON, through
 * the trial spec's `theory` task): the fit recovers the truth the data were generated from.
 * Held-out χ² here is the ensemble's central prediction on each held-out fold (chi2_k[⟨T⟩], METHOD.md
 * §4), averaged over folds; with ~40 points a fold its own sampling spread is about ±0.2.
 */
const reference = { n_layers: 2, units_1: 25, units_2: 20, learning_rate: 0.01 };

describe("closure on an uploaded theory", () => {
  it("level 0: χ² to the truth on every held-out fold < 0.1", async () => {
    const res = await runTrial({
      task: { kind: "theory", dataset: syntheticTheory({ level: 0, subsets: 6, pointsPerSubset: 20 }) },
      replicas: 2,
      folds: 3,
      seed: 4,
      maxEpochs: 600,
      reportEvery: 200,
      params: { ...reference, stopping_patience: 0.3 },
      backend: "wasm",
    });
    // level 0: the data are the truth, so the fold χ² is the χ² to the truth
    for (const c of res.foldChi2) expect(c).toBeLessThan(0.1);
    expect(res.closure!.bias).toBeLessThan(0.1);
  }, 600_000);

  it("level 2: bias/variance in [0.5, 2], held-out χ² in [0.7, 1.5]", async () => {
    const res = await runTrial({
      task: {
        kind: "theory",
        dataset: syntheticTheory({ level: 2, subsets: 8, pointsPerSubset: 15, seed: 3 }),
      },
      replicas: 16,
      folds: 3,
      seed: 5,
      maxEpochs: 1000,
      reportEvery: 250,
      params: { ...reference, stopping_patience: 0.2 },
      backend: "wasm",
    });
    console.log(
      `theory level-2 closure: bias/variance ${res.closure!.ratio.toFixed(3)}, held-out central χ² ${res.foldCentralChi2.map((c) => c.toFixed(3)).join(", ")}, L1 ${res.L1.toFixed(3)}, phi2 ${res.phi2.toFixed(3)}`,
    );
    expect(res.closure!.ratio).toBeGreaterThanOrEqual(0.5);
    expect(res.closure!.ratio).toBeLessThanOrEqual(2);
    const heldOut = mean(res.foldCentralChi2);
    expect(heldOut).toBeGreaterThanOrEqual(0.7);
    expect(heldOut).toBeLessThanOrEqual(1.5);
  }, 900_000);
});
