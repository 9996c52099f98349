import { describe, expect, it } from "vitest";
import { assignFolds } from "./data/replicas.ts";
import { PHYSICS_LIMITS, physicsFieldsSchema } from "./estimators/physics.ts";
import { runTrial, runTrials } from "./index.ts";
import { selectTrainer } from "./kernel/select.ts";
import { buildClosureTask } from "./tasks/closure.ts";

const spec = {
  task: { kind: "closure" as const, level: 1 as const, seed: 3 },
  replicas: 3,
  folds: 2,
  seed: 11,
  maxEpochs: 40,
  reportEvery: 40,
  params: { n_layers: 1, units_1: 8, learning_rate: 0.02, stopping_patience: 0.1 },
  backend: "wasm" as const,
};

describe("physics fields of a trial result, on every trainer of the shared host", () => {
  for (const kind of ["tfjs", "cpu"] as const) {
    it(`${kind}: per-sub-dataset χ²/N, stopping epochs and bounded replica curves`, async () => {
      const trainer = await selectTrainer(kind);
      const res = await runTrial(spec, { trainer });
      const p = res.predictions!;
      expect(physicsFieldsSchema.safeParse(p).success).toBe(true);
      const ds = buildClosureTask(1, 3).dataset;
      const folds = assignFolds(ds, 2, 11);
      expect(p.subsetChi2!.map((s) => s.name)).toEqual(ds.subsets.map((s) => s.name));
      p.subsetChi2!.forEach((s, j) => {
        expect(s.training).not.toBeNull();
        expect(s.heldOut === null).toBe(!folds.some((f) => f.includes(j)));
      });
      // The held-out χ²/N of the central prediction, weighted by points, is the fold's central χ².
      folds.forEach((heldOut, k) => {
        const rows = heldOut.map((j) => p.subsetChi2![j]!);
        const n = rows.reduce((a, r) => a + r.points, 0);
        // Sub-datasets are uncorrelated blocks, so χ² adds over them.
        const weighted = rows.reduce((a, r) => a + r.heldOut!.central * r.points, 0) / n;
        expect(weighted).toBeCloseTo(res.foldCentralChi2[k]!, 9);
      });
      expect(p.stoppingEpochs).toHaveLength(2 * 3);
      for (const e of p.stoppingEpochs!) {
        expect(Number.isInteger(e)).toBe(true);
        expect(e).toBeGreaterThanOrEqual(1);
        expect(e).toBeLessThanOrEqual(res.epochs);
      }
      for (const band of p.flavours) {
        expect(band.replicas).toHaveLength(Math.min(6, PHYSICS_LIMITS.replicaCurves));
        for (const curve of band.replicas!) expect(curve).toHaveLength(p.x.length);
      }
    });
  }

  it("packed trials carry them too", async () => {
    const [a] = await Promise.all(runTrials([spec, { ...spec, seed: 12 }]));
    expect(a!.predictions?.subsetChi2?.length).toBeGreaterThan(0);
    expect(a!.predictions?.stoppingEpochs).toHaveLength(6);
  });
});
