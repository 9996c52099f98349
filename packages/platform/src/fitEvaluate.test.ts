import { syntheticTheory } from "@hyperensemble/engine";
import { describe, expect, it } from "vitest";
import { StudyInputError } from "./errors.ts";
import { fitEvaluate } from "./fitEvaluate.ts";
import { MAX_EVALUATE_CELLS } from "./fitSchema.ts";
import { trainFit } from "./fitTrain.ts";

describe("a fit evaluated on rows the user gives", () => {
  it("gives each kept replica's outputs (the fit's own, 1e-5), their mean and sd; refuses bad rows by name", async () => {
    const theory = syntheticTheory({ subsets: 3, pointsPerSubset: 6, gridPoints: 16, level: 2 });
    const fit = await trainFit(
      {
        task: { kind: "theory", dataset: theory },
        replicas: 4,
        folds: 1,
        seed: 7,
        maxEpochs: 30,
        reportEvery: 10,
        params: { n_layers: 2, units_1: 8, units_2: 6, learning_rate: 0.01 },
        backend: "wasm",
      },
      { rule: { chi2Sigma: 100, positivityTolerance: 1e9 } },
    );
    const row = { id: "f1", state: "COMPLETED", artifact: fit };
    // the fit's own grid, in a different order and with a repeated row: the user's rows, not the grid's
    const order = [5, 0, 15, 5, 9];
    const rows = order.map((g) => theory.grid[g]!);
    const out = fitEvaluate(row, { rows });
    const F = fit.outputNames.length;
    expect(out.replicas).toEqual(fit.selection.kept);
    expect(out.outputs).toHaveLength(fit.selection.kept.length);
    out.replicas.forEach((rep, k) => {
      const s = fit.replicas.findIndex((r) => r.replica === rep);
      order.forEach((g, i) => {
        for (let f = 0; f < F; f++) {
          const want = fit.outputs[s]![g * F + f]!;
          // the engine computed in float32, the evaluator in float64 from the same weights
          expect(Math.abs(out.outputs[k]![i]![f]! - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
        }
      });
    });
    // mean and sample sd, recomputed here in float64 from the per-replica outputs
    const K = out.outputs.length;
    for (let i = 0; i < rows.length; i++)
      for (let f = 0; f < F; f++) {
        const v = out.outputs.map((o) => o[i]![f]!);
        const m = v.reduce((a, b) => a + b, 0) / K;
        const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (K - 1));
        expect(out.mean[i]![f]).toBeCloseTo(m, 12);
        expect(out.sd[i]![f]).toBeCloseTo(sd, 12);
      }
    expect(out.outputs[0]![0]).toEqual(out.outputs[0]![3]); // the repeated row

    const field = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        if (err instanceof StudyInputError) return err.field;
        throw err;
      }
      return "accepted";
    };
    const D = theory.grid[0]!.length;
    expect(D).toBeGreaterThan(1);
    expect(field(() => fitEvaluate(row, { rows: [theory.grid[0]!, [0.5]] }))).toBe("rows.1");
    expect(field(() => fitEvaluate({ ...row, state: "RUNNING" }, { rows }))).toBe("fitId");
    // rows × kept replicas is bounded before any evaluation
    const many = Array.from({ length: 300 }, (_, r) => r);
    const wide = {
      ...fit,
      replicas: many.map((r) => ({ ...fit.replicas[0]!, replica: r })),
      parameters: many.map(() => fit.parameters[0]!),
      selection: { ...fit.selection, kept: many },
    };
    const rowsMax = Array.from({ length: 200 }, () => theory.grid[0]!);
    expect(300 * 200).toBeGreaterThan(MAX_EVALUATE_CELLS);
    expect(field(() => fitEvaluate({ ...row, artifact: wide }, { rows: rowsMax }))).toBe("rows");
    expect(field(() => fitEvaluate({ ...row, artifact: wide }, { rows: rowsMax.slice(0, 100) }))).toBe(
      "accepted",
    );
  }, 300_000);
});
