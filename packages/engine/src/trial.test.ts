import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import {
  demoSearchSpace,
  demoTrialDefaults,
  runTrial,
  TrialCancelledError,
  TrialPrunedError,
  trialSpecSchema,
} from "./index.ts";
import { parseSearchSpace } from "./search/space.ts";

const small = {
  task: { kind: "closure" as const, level: 1 as const, seed: 3 },
  replicas: 3,
  folds: 2,
  seed: 11,
  maxEpochs: 30,
  reportEvery: 10,
  params: { n_layers: 1, units_1: 8, learning_rate: 0.01 },
  backend: "wasm" as const,
};

describe("runTrial", () => {
  it("returns the contract's result shape with finite estimators", async () => {
    const reports: number[] = [];
    const res = await runTrial(small, { onReport: (r) => void reports.push(r.epoch) });
    expect(reports).toEqual([10, 20, 30]);
    expect(res.foldChi2).toHaveLength(2);
    expect(res.replicaChi2).toHaveLength(3);
    for (const v of [res.L1, res.L2, res.L3, res.phi2, res.durationSeconds])
      expect(Number.isFinite(v)).toBe(true);
    expect(res.L2).toBeGreaterThanOrEqual(res.L1);
    expect(res.foldStats?.chi2.average).toBeCloseTo(res.L1, 12);
    expect(res.foldStats?.chi2.best_worst).toBe(res.L2);
    expect(res.backend).toBe("wasm");
    expect(res.closure?.ratio).toBeGreaterThan(0);
    expect(res.predictions?.flavours).toHaveLength(3);
  });

  it("reports once more when early stopping ends training between report epochs", async () => {
    const epochs: number[] = [];
    const res = await runTrial(
      {
        ...small,
        maxEpochs: 400,
        reportEvery: 1000,
        params: { ...small.params, learning_rate: 0.2, stopping_patience: 0.02 },
      },
      { onReport: (r) => void epochs.push(r.epoch) },
    );
    expect(res.epochs).toBeLessThan(400);
    expect(epochs).toEqual([res.epochs]);
  });

  it("prunes when onReport returns true, leaking no tensors", async () => {
    const before = tf.memory().numTensors;
    await expect(runTrial(small, { onReport: (r) => r.epoch >= 10 })).rejects.toBeInstanceOf(
      TrialPrunedError,
    );
    await runTrial({ ...small, params: { ...small.params, dropout: 0.1, stopping_patience: 0.1 } });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("cancels promptly on abort", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(runTrial(small, { signal: ac.signal })).rejects.toBeInstanceOf(TrialCancelledError);
  });

  it("level-0 closure: the reference architecture fits the truth (held-out chi2 < 0.1)", async () => {
    const res = await runTrial({
      task: { kind: "closure", level: 0, seed: 2 },
      replicas: 2,
      folds: 3,
      seed: 4,
      maxEpochs: 300,
      reportEvery: 100,
      params: { n_layers: 2, units_1: 25, units_2: 20, learning_rate: 0.01, stopping_patience: 0.3 },
      backend: "wasm",
    });
    for (const c of res.foldChi2) expect(c).toBeLessThan(0.1);
  });

  it("a tabular trial runs from CSV", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => {
      const x = i / 39;
      return `${x},${Math.sin(3 * x)},0.05,${i < 4 || i > 35 ? "edge" : ["a", "b", "c"][i % 3]}`;
    });
    const res = await runTrial({
      task: {
        kind: "tabular",
        dataset: {
          format: "csv",
          csv: ["x,y,dy,exp", ...rows].join("\n"),
          inputs: ["x"],
          targets: ["y"],
          errors: ["dy"],
          subset: "exp",
          alwaysFitted: ["edge"],
        },
      },
      replicas: 3,
      folds: 3,
      seed: 1,
      maxEpochs: 60,
      reportEvery: 20,
      params: { n_layers: 1, units_1: 8, learning_rate: 0.02 },
      backend: "wasm",
    });
    expect(res.foldChi2).toHaveLength(3);
    expect(res.closure).toBeUndefined();
    expect(res.predictions?.flavours[0]?.mean.length).toBeGreaterThan(10);
  });

  it("folds = 1 scores replicas on their validation points; average_best never exceeds the mean", async () => {
    const spec = { ...small, folds: 1, replicas: 4 };
    const plain = await runTrial(spec);
    const best = await runTrial({ ...spec, params: { ...spec.params, average_best: true } });
    expect(plain.foldChi2).toHaveLength(1);
    expect(plain.replicaChi2).toHaveLength(4);
    expect(plain.L1).toBeCloseTo(plain.replicaChi2.reduce((a, b) => a + b, 0) / 4, 12);
    expect(best.L1).toBeLessThanOrEqual(plain.L1);
    expect(best.phi2).toBe(plain.phi2);
  });

  it("demo defaults form a valid spec and the search space is Optuna-shaped", () => {
    const spec = { ...demoTrialDefaults, seed: 1, params: { n_layers: 2 } };
    expect(trialSpecSchema.safeParse(spec).success).toBe(true);
    expect(demoSearchSpace.learning_rate).toMatchObject({ type: "float", log: true });
    expect(() => parseSearchSpace(demoSearchSpace)).not.toThrow();
  });
});
