import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { syntheticTheory } from "@hyperensemble/engine";
import { describe, expect, it } from "vitest";
import { trainFit } from "./fitTrain.ts";
import { evaluateWeights, fitWeights } from "./fitWeights.ts";

describe("fit weights and their evaluators", () => {
  it("reproduce the fit's outputs on its grid (TypeScript, 1e-5) and the Python twin matches (1e-9)", async () => {
    const theory = syntheticTheory({ subsets: 3, pointsPerSubset: 6, gridPoints: 16, level: 2 });
    const fit = await trainFit(
      {
        task: { kind: "theory", dataset: theory },
        replicas: 3,
        folds: 1,
        seed: 4,
        maxEpochs: 40,
        reportEvery: 20,
        params: { n_layers: 2, units_1: 8, units_2: 6, learning_rate: 0.01 },
        backend: "wasm",
      },
      { rule: { chi2Sigma: 100, positivityTolerance: 1e9 } },
    );
    const w = JSON.parse(JSON.stringify(fitWeights(fit)));
    expect(w.replicas).toHaveLength(3);
    const rows = theory.grid;
    const F = 3;
    for (let r = 0; r < 3; r++) {
      const got = evaluateWeights(w, r, rows);
      let worst = 0;
      let scale = 0;
      got.forEach((row, g) => {
        row.forEach((v, f) => {
          worst = Math.max(worst, Math.abs(v - fit.outputs[r]![g * F + f]!));
          scale = Math.max(scale, Math.abs(fit.outputs[r]![g * F + f]!));
        });
      });
      // the kernels compute in float32; the evaluator in float64 from the same float32 weights
      expect(worst / scale).toBeLessThan(1e-5);
    }
    const dir = mkdtempSync(path.join(tmpdir(), "hens-weights-"));
    writeFileSync(path.join(dir, "w.json"), JSON.stringify(w));
    writeFileSync(path.join(dir, "rows.json"), JSON.stringify(rows));
    const script = path.join(import.meta.dirname, "../../../scripts/hens_weights.py");
    const py = JSON.parse(
      execFileSync("python3", [script, path.join(dir, "w.json"), path.join(dir, "rows.json"), "2"], {
        encoding: "utf8",
      }),
    ) as number[][];
    const ts = evaluateWeights(w, 2, rows);
    py.forEach((row, g) => {
      row.forEach((v, f) => {
        expect(Math.abs(v - ts[g]![f]!)).toBeLessThan(1e-9 * Math.max(1, Math.abs(ts[g]![f]!)));
      });
    });
  }, 300_000);
});
