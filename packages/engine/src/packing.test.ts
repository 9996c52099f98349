// Packing several trials into one stacked program: each trial's numbers must be those it gets
// trained alone, and pruning or cancelling one trial of a pack must leave the others unchanged.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "./backend.ts";
import { assignFolds } from "./data/replicas.ts";
import { architectureKey, packKey, planPacks, runTrials } from "./packing.ts";
import type { TrialSpec } from "./spec.ts";
import { buildClosureTask } from "./tasks/closure.ts";
import { maxRelDiff } from "./testing/compare.ts";
import { closureTestArch } from "./testing/fixtures.ts";
import {
  type EnsembleFit,
  type EnsembleSetup,
  type EpochReport,
  packConflict,
  TrialCancelledError,
  TrialPrunedError,
  trainEnsemble,
  trainPacked,
} from "./train/trainer.ts";
import { runTrial, type TrialResult } from "./trial.ts";

const task = buildClosureTask(2, 8);

function setup(
  over: Partial<Omit<EnsembleSetup, "folds">> & { seed: number; replicas: number; folds: number },
): EnsembleSetup {
  const { replicas, folds, ...rest } = over;
  return {
    task,
    arch: closureTestArch,
    optimiser: { name: "adam", learningRate: 5e-3 },
    replicaIds: Array.from({ length: replicas }, (_, r) => r),
    folds: assignFolds(task.dataset, folds, over.seed),
    trainingFraction: 0.75,
    maxEpochs: 120,
    patienceEpochs: 30,
    reportEvery: 20,
    ...rest,
  };
}

/** Three trials that differ in everything a pack lets differ. */
function threeTrials(): EnsembleSetup[] {
  const base = setup({ seed: 1, replicas: 1, folds: 1 });
  return [
    setup({ seed: 5, replicas: 3, folds: 2, optimiser: { name: "adam", learningRate: 5e-3, clipnorm: 10 } }),
    setup({
      seed: 6,
      replicas: 2,
      folds: 1,
      optimiser: { name: "adam", learningRate: 2e-2 },
      arch: { ...base.arch, dropout: 0.1, initializer: "glorot_normal" },
      maxEpochs: 90,
      patienceEpochs: 10,
      trainingFraction: 0.6,
      positivity: 5,
    }),
    setup({
      seed: 7,
      replicas: 4,
      folds: 3,
      optimiser: { name: "adam", learningRate: 1e-3, clipnorm: 0.5 },
      maxEpochs: 100,
      reportEvery: 25,
    }),
  ];
}

function expectSameFit(packed: EnsembleFit, alone: EnsembleFit) {
  expect(packed.epochs).toBe(alone.epochs);
  expect(packed.members.map((m) => [m.fold, m.replica])).toEqual(
    alone.members.map((m) => [m.fold, m.replica]),
  );
  expect(packed.bestEpoch).toEqual(alone.bestEpoch);
  packed.predictions.forEach((p, s) => {
    expect(maxRelDiff(p, alone.predictions[s]!)).toBeLessThan(1e-4);
  });
  packed.bestValidationChi2.forEach((v, s) => {
    expect(Math.abs(v - alone.bestValidationChi2[s]!) / Math.abs(alone.bestValidationChi2[s]!)).toBeLessThan(
      1e-4,
    );
  });
}

const recorder = () => {
  const reports: EpochReport[] = [];
  return { reports, onReport: (r: EpochReport) => void reports.push(r) };
};

describe.each(["wasm", "cpu"])("trainPacked on %s", (backend) => {
  beforeAll(async () => {
    expect(await selectBackend(backend)).toBe(backend);
  });

  it("gives each of three packed trials the fit, epochs and reports it gets trained alone", async () => {
    const setups = threeTrials();
    const alone: EnsembleFit[] = [];
    const aloneReports: EpochReport[][] = [];
    for (const s of setups) {
      const r = recorder();
      alone.push(await trainEnsemble(s, { onReport: r.onReport }));
      aloneReports.push(r.reports);
    }
    const recs = setups.map(() => recorder());
    const before = tf.memory().numTensors;
    const packed = await Promise.all(trainPacked(setups.map((s, i) => ({ setup: s, opts: recs[i]! }))));
    expect(tf.memory().numTensors).toBe(before);
    packed.forEach((fit, t) => {
      expect(fit.members).toHaveLength(setups[t]!.folds.length * setups[t]!.replicaIds.length);
      expectSameFit(fit, alone[t]!);
      const got = recs[t]!.reports;
      expect(got.map((r) => [r.epoch, r.activeReplicas])).toEqual(
        aloneReports[t]!.map((r) => [r.epoch, r.activeReplicas]),
      );
      got.forEach((r, i) => {
        expect(Math.abs(r.value - aloneReports[t]![i]!.value) / aloneReports[t]![i]!.value).toBeLessThan(
          1e-4,
        );
      });
    });
    // the trials really differ (else equality above would prove little)
    expect(new Set(packed.map((f) => f.epochs)).size).toBeGreaterThan(1);
    expect(maxRelDiff(packed[0]!.predictions[0]!, packed[2]!.predictions[0]!)).toBeGreaterThan(1e-2);
  }, 120_000);
});

describe("trainPacked pruning and cancellation (cpu)", () => {
  beforeAll(async () => {
    expect(await selectBackend("cpu")).toBe("cpu");
  });

  it("pruning one trial and cancelling another leaves the third's fit unchanged", async () => {
    const setups = threeTrials();
    const alone = await trainEnsemble(setups[2]!);
    const cancel = new AbortController();
    const before = tf.memory().numTensors;
    const [pruned, cancelled, kept] = trainPacked([
      { setup: setups[0]!, opts: { onReport: (r) => r.epoch >= 40 } },
      {
        // patience 30: still training at epoch 20
        setup: setup({ seed: 9, replicas: 2, folds: 1 }),
        opts: {
          signal: cancel.signal,
          onReport: (r) => {
            if (r.epoch >= 20) cancel.abort();
          },
        },
      },
      { setup: setups[2]! },
    ]);
    await expect(pruned).rejects.toBeInstanceOf(TrialPrunedError);
    await expect(pruned).rejects.toMatchObject({ epoch: 40 });
    await expect(cancelled).rejects.toBeInstanceOf(TrialCancelledError);
    await expect(cancelled).rejects.toMatchObject({ epoch: 20 });
    expectSameFit(await kept!, alone);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it("a failing onReport ends only its own trial", async () => {
    const setups = threeTrials();
    const alone = await trainEnsemble(setups[0]!);
    const [ok, failed] = trainPacked([
      { setup: setups[0]! },
      {
        setup: setups[1]!,
        opts: {
          onReport: () => {
            throw new Error("database went away");
          },
        },
      },
    ]);
    await expect(failed).rejects.toThrow("database went away");
    expectSameFit(await ok!, alone);
  }, 120_000);

  it("refuses trials that cannot share a program", () => {
    const [a, b] = threeTrials();
    expect(packConflict(a!, b!)).toBeUndefined();
    expect(packConflict(a!, { ...b!, arch: { ...b!.arch, hidden: [10, 9] } })).toBe(
      "different architectures",
    );
    expect(packConflict(a!, { ...b!, arch: { ...b!.arch, activation: "sigmoid" } })).toBe(
      "different architectures",
    );
    expect(packConflict(a!, { ...b!, optimiser: { name: "nadam", learningRate: 1e-3 } })).toBe(
      "different optimisers",
    );
    expect(packConflict(a!, { ...b!, task: buildClosureTask(2, 9) })).toBe("different tasks");
    expect(() =>
      trainPacked([{ setup: a! }, { setup: { ...b!, optimiser: { name: "sgd", learningRate: 1 } } }]),
    ).toThrow(/different optimisers/);
  });
});

const spec = (seed: number, params: TrialSpec["params"], over: Partial<TrialSpec> = {}): TrialSpec => ({
  task: { kind: "closure", level: 1, seed: 3 },
  replicas: 3,
  folds: 2,
  seed,
  maxEpochs: 60,
  reportEvery: 20,
  params: { n_layers: 1, units_1: 8, ...params },
  backend: "cpu",
  ...over,
});

describe("runTrials", () => {
  it("scores each packed trial exactly as runTrial does alone", async () => {
    const specs = [
      spec(11, { learning_rate: 0.01 }),
      spec(12, { learning_rate: 0.03, stopping_patience: 0.1, dropout: 0.1 }, { replicas: 2, folds: 1 }),
      spec(13, { learning_rate: 0.005, clipnorm: 1 }, { maxEpochs: 40 }),
    ];
    const alone: TrialResult[] = [];
    for (const s of specs) alone.push(await runTrial(s));
    const packed = await Promise.all(runTrials(specs));
    packed.forEach((r, t) => {
      const a = alone[t]!;
      expect(r.packing).toEqual({ trials: 3, members: 6 + 2 + 6 });
      expect(r.epochs).toBe(a.epochs);
      expect(r.backend).toBe("cpu");
      for (const k of ["L1", "L2", "L3", "phi2"] as const)
        expect(Math.abs(r[k] - a[k]) / Math.abs(a[k])).toBeLessThan(1e-3);
      expect(r.foldChi2).toHaveLength(a.foldChi2.length);
      r.replicaChi2.forEach((v, i) => {
        expect(Math.abs(v - a.replicaChi2[i]!) / Math.abs(a.replicaChi2[i]!)).toBeLessThan(1e-3);
      });
    });
    expect(packed[0]!.L1).not.toBeCloseTo(packed[1]!.L1, 3);
  }, 120_000);

  it("plans packs by task, architecture, optimiser and backend within the member cap", () => {
    const specs = [
      spec(1, {}), // 6 members
      spec(2, { learning_rate: 0.1 }), // same key: packs with 0
      spec(3, { units_1: 9 }), // other architecture
      spec(4, { optimizer: "nadam" }), // other optimiser
      spec(5, {}, { task: { kind: "closure", level: 2, seed: 3 } }), // other task
      spec(6, {}, { backend: "wasm" }), // other backend
      spec(7, { dropout: 0.2 }), // same key, but 0 and 1 already hold 12 of 16 members
      spec(8, {}, { replicas: 2, folds: 1 }), // same key, 2 members: fits
      spec(9, {}, { replicas: 20 }), // alone: larger than the cap
    ];
    expect(packKey(specs[0]!)).toBe(packKey(specs[1]!));
    expect(packKey(specs[0]!)).not.toBe(packKey(specs[2]!));
    // within one study (same task and backend) the hyperparameters alone decide
    expect(architectureKey(specs[0]!.params)).toBe(architectureKey(specs[6]!.params));
    expect(architectureKey(specs[0]!.params)).not.toBe(architectureKey(specs[2]!.params));
    expect(architectureKey(specs[0]!.params)).not.toBe(architectureKey(specs[3]!.params));
    expect(() => architectureKey({ n_layers: 9 })).toThrow();
    expect(planPacks(specs, 16)).toEqual([[0, 1, 7], [2], [3], [4], [5], [6], [8]]);
    expect(planPacks(specs, 1)).toEqual(specs.map((_, i) => [i]));
    expect(() => runTrials([specs[0]!, specs[2]!])).toThrow(/differ/);
  });
});
