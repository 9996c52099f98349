import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../backend.ts";
import { assignFolds } from "../data/replicas.ts";
import { buildClosureTask } from "../tasks/closure.ts";
import { maxRelDiff } from "../testing/compare.ts";
import { closureTestArch } from "../testing/fixtures.ts";
import { referenceChi2 } from "../testing/reference.ts";
import { type EnsembleSetup, trainEnsemble } from "./trainer.ts";

const task = buildClosureTask(2, 8);

function setupFor(replicaIds: number[], over: Partial<EnsembleSetup> = {}): EnsembleSetup {
  return {
    task,
    arch: closureTestArch,
    optimiser: { name: "adam", learningRate: 5e-3, clipnorm: 10 },
    seed: 21,
    replicaIds,
    folds: assignFolds(task.dataset, 2, 21),
    trainingFraction: 0.75,
    maxEpochs: 200,
    patienceEpochs: 40,
    reportEvery: 50,
    ...over,
  };
}

describe.each(["wasm", "cpu"])("trainEnsemble on %s", (backend) => {
  beforeAll(async () => {
    expect(await selectBackend(backend)).toBe(backend);
  });

  it("replica r of a batched run matches replica r trained alone after 200 epochs (1e-4)", async () => {
    const batched = await trainEnsemble(setupFor([0, 1, 2, 3, 4, 5]));
    const alone = await trainEnsemble(setupFor([4]));
    for (const k of [0, 1]) {
      const sb = batched.members.findIndex((m) => m.fold === k && m.replica === 4);
      const sa = alone.members.findIndex((m) => m.fold === k && m.replica === 4);
      expect(maxRelDiff(batched.predictions[sb]!, alone.predictions[sa]!)).toBeLessThan(1e-4);
      expect(batched.bestEpoch[sb]).toBe(alone.bestEpoch[sa]);
    }
  });

  it("is reproducible bit for bit with the same seed, and differs with another", async () => {
    const a = await trainEnsemble(
      setupFor([0, 1, 2], { maxEpochs: 60, arch: { ...setupFor([]).arch, dropout: 0.2 } }),
    );
    const b = await trainEnsemble(
      setupFor([0, 1, 2], { maxEpochs: 60, arch: { ...setupFor([]).arch, dropout: 0.2 } }),
    );
    const c = await trainEnsemble(
      setupFor([0, 1, 2], { maxEpochs: 60, seed: 22, arch: { ...setupFor([]).arch, dropout: 0.2 } }),
    );
    expect(a.predictions).toEqual(b.predictions);
    expect(a.bestValidationChi2).toEqual(b.bestValidationChi2);
    expect(a.predictions).not.toEqual(c.predictions);
  });

  it("keeps each replica's best weights: their validation chi2 is the best one recorded", async () => {
    const fit = await trainEnsemble(setupFor([0, 1, 2], { maxEpochs: 150, patienceEpochs: 20 }));
    const ds = task.dataset;
    fit.members.forEach((m, s) => {
      const chi2 = referenceChi2(
        ds.cov.toDense().data,
        ds.nPoints,
        m.validation,
        fit.predictions[s]!,
        m.data,
      );
      expect(Math.abs(chi2 - fit.bestValidationChi2[s]!) / chi2).toBeLessThan(1e-4);
    });
    // early stopping: someone stopped before max epochs or all hit the limit consistently
    expect(fit.bestEpoch.every((e) => e >= 1 && e <= fit.epochs)).toBe(true);
  });

  it("without validation points a member keeps its latest weights, not its initial ones", async () => {
    // Every sub-dataset a single point and no held-out fold: every point trains, nothing validates.
    const ds = task.dataset;
    const single = Array.from({ length: ds.nPoints }, (_, i) => ({
      name: `p${i}`,
      indices: [i],
      alwaysFitted: false,
    }));
    const singles = { ...task, dataset: { ...ds, subsets: single } };
    const over = { task: singles, folds: [[]], maxEpochs: 80, patienceEpochs: 5 };
    const fit = await trainEnsemble(setupFor([0, 1], over));
    fit.members.forEach((m, s) => {
      expect(m.validation).toEqual([]);
      // it trains to the epoch limit and its weights are those of the last epoch observed
      expect(fit.bestEpoch[s]).toBe(fit.epochs);
      expect(fit.epochs).toBe(80);
    });
    const early = await trainEnsemble(setupFor([0, 1], { ...over, maxEpochs: 2 }));
    fit.members.forEach((m, s) => {
      const all = Array.from({ length: ds.nPoints }, (_, i) => i);
      const late = referenceChi2(ds.cov.toDense().data, ds.nPoints, all, fit.predictions[s]!, m.data);
      const start = referenceChi2(ds.cov.toDense().data, ds.nPoints, all, early.predictions[s]!, m.data);
      // 80 epochs of training fit the data better than (nearly) untrained weights
      expect(late).toBeLessThan(0.5 * start);
    });
  });
});
