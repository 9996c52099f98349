/**
 * trainEnsembleWebGpu and runTrial on the WebGPU engine against the TF.js trainer (cpu backend), on
 * Dawn's OpenGL ES backend (Mesa llvmpipe): the same members, early stopping, reports and scores within
 * float32 tolerance. FAILS when Dawn or Mesa is missing (CI installs them in .ci/run).
 */

import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import type { ArchitectureConfig } from "../model/mlp.ts";
import { buildClosureTask } from "../tasks/closure.ts";
import { ensembleTestSetup } from "../testing/fixtures.ts";
import { stackSpec } from "../train/host.ts";
import {
  type EnsembleFit,
  type EnsembleSetup,
  type EpochReport,
  TrialCancelledError,
  TrialPrunedError,
  trainEnsemble,
} from "../train/trainer.ts";
import { runTrial, type TrialReport } from "../trial.ts";
import { WebGpuChi2Ensemble } from "./chi2Ensemble.ts";
import { getWebGpu, WebGpuUnavailableError } from "./device.ts";
import type { TrainKernel } from "./ensemble.ts";
import { trainEnsembleWebGpu, type WebGpuTrainingOptions, webGpuTrainer } from "./trainer.ts";

beforeAll(async () => {
  try {
    await getWebGpu("opengles");
  } catch (e) {
    throw new Error(
      `WebGPU (Dawn + Mesa llvmpipe) is required for these tests and is not available (CI installs it in .ci/run): ${(e as Error).message}`,
    );
  }
  await tf.setBackend("cpu");
});

function closureSetup(over: Partial<EnsembleSetup> = {}): EnsembleSetup {
  const task = buildClosureTask(2, 5);
  const arch: ArchitectureConfig = {
    inputDim: 2,
    hidden: [10, 8],
    outputDim: 3,
    activation: "tanh",
    initializer: "glorot_normal",
    dropout: 0,
    preprocessing: { alphaInit: [0.55, 0.55], betaInit: [3.4, 3.4], trainable: false },
  };
  return ensembleTestSetup(task, arch, 17, {
    optimiser: { name: "adam", learningRate: 2e-2 },
    maxEpochs: 60,
    patienceEpochs: 4,
    ...over,
  });
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++)
    e = Math.max(e, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-30));
  return e;
}

function compareFits(gpu: EnsembleFit, ref: EnsembleFit) {
  let pred = 0;
  let scale = 0;
  gpu.predictions.forEach((p, s) => {
    for (let i = 0; i < p.length; i++) {
      pred = Math.max(pred, Math.abs(p[i]! - ref.predictions[s]![i]!));
      scale = Math.max(scale, Math.abs(ref.predictions[s]![i]!));
    }
  });
  return { bestChi2: maxRel(gpu.bestValidationChi2, ref.bestValidationChi2), predictions: pred / scale };
}

/** Train `setup` on TF.js and on WebGPU; both must agree on epochs, best epochs, reports and fits. */
async function expectParity(setup: EnsembleSetup, label: string, engine: WebGpuTrainingOptions) {
  const tfReports: EpochReport[] = [];
  const ref = await trainEnsemble(setup, { onReport: (r) => void tfReports.push(r) });
  const gpuReports: EpochReport[] = [];
  const gpu = await trainEnsembleWebGpu(setup, { onReport: (r) => void gpuReports.push(r) }, engine);
  const e = compareFits(gpu, ref);
  console.log(label, { epochs: [gpu.epochs, ref.epochs], bestEpoch: [gpu.bestEpoch, ref.bestEpoch], ...e });
  expect(gpu.epochs).toBe(ref.epochs);
  expect(gpu.bestEpoch).toEqual(ref.bestEpoch);
  expect(gpuReports.map((r) => [r.epoch, r.activeReplicas])).toEqual(
    tfReports.map((r) => [r.epoch, r.activeReplicas]),
  );
  expect(
    maxRel(
      gpuReports.map((r) => r.value),
      tfReports.map((r) => r.value),
    ),
  ).toBeLessThan(1e-4);
  expect(e.bestChi2).toBeLessThan(1e-4);
  expect(e.predictions).toBeLessThan(1e-4);
  return { ref, gpu };
}

describe("WebGPU trainer on llvmpipe", () => {
  it.each<TrainKernel>(["cpu", "fused"])(
    "trains the members as the TF.js trainer does: early stopping, reports, best weights (%s kernel)",
    async (kernel) => {
      const { ref } = await expectParity(closureSetup(), `trainer (${kernel})`, {
        backend: "opengles",
        kernel,
        maxEpochsPerReadback: 7,
      });
      // some members stop early, others train on: both branches of the bookkeeping run
      expect(new Set(ref.bestEpoch).size).toBeGreaterThan(1);
    },
  );

  it("members without validation points keep their latest weights, as on TF.js", async () => {
    const base = closureSetup();
    const ds = base.task.dataset;
    const subsets = Array.from({ length: ds.nPoints }, (_, i) => ({
      name: `p${i}`,
      indices: [i],
      alwaysFitted: false,
    }));
    const setup = closureSetup({
      task: { ...base.task, dataset: { ...ds, subsets } },
      folds: [[]],
      maxEpochs: 30,
    });
    const ref = await trainEnsemble(setup);
    const gpu = await trainEnsembleWebGpu(setup, {}, { backend: "opengles", kernel: "cpu" });
    expect(ref.members.every((m) => m.validation.length === 0)).toBe(true);
    expect(ref.bestEpoch).toEqual(ref.members.map(() => 30));
    expect(gpu.bestEpoch).toEqual(ref.bestEpoch);
    expect(compareFits(gpu, ref).predictions).toBeLessThan(1e-4);
  });

  it("chunking the members by binding size gives the same numbers, bit for bit (with dropout)", async () => {
    const base = closureSetup({ patienceEpochs: 2 });
    const setup = {
      ...base,
      arch: { ...base.arch, dropout: 0.1 },
      optimiser: { ...base.optimiser, clipnorm: 0.5 },
    };
    const spec = { ...stackSpec([setup]).spec, kernel: "cpu" as const, maxMaskEpochs: 10 };
    const { device } = await getWebGpu("opengles");
    const one = await WebGpuChi2Ensemble.create(device, spec);
    // the whitening rows (8 blocks of ≤ 30² floats) are the largest per-member binding: 2 per chunk
    const many = await WebGpuChi2Ensemble.create(device, {
      ...spec,
      maxBindingBytes: 2 * 4 * 8 * 30 * 30 + 64,
    });
    try {
      expect(one.chunks.length).toBe(1);
      expect(many.chunks.map((c) => c.count)).toEqual([2, 2, 2]);
      one.step(25);
      many.step(25);
      const [a, b] = [await one.state(), await many.state()];
      expect(Array.from(a.active)).toContain(0);
      expect(b).toEqual(a);
      expect(Array.from(await many.bestParameters())).toEqual(Array.from(await one.bestParameters()));
      expect(Array.from(await many.parameters())).toEqual(Array.from(await one.parameters()));
      const [pa, pb] = [await one.predictAtBest(), await many.predictAtBest()];
      expect(Array.from(pb.predictions)).toEqual(Array.from(pa.predictions));
    } finally {
      one.destroy();
      many.destroy();
    }
  });

  it("runTrial on the WebGPU engine scores like runTrial on TF.js", async () => {
    const spec = {
      task: { kind: "closure" as const, level: 2 as const, seed: 3 },
      replicas: 4,
      folds: 2,
      seed: 11,
      maxEpochs: 40,
      reportEvery: 10,
      params: { n_layers: 2, units_1: 12, units_2: 8, learning_rate: 0.02, stopping_patience: 0.15 },
      backend: "cpu" as const,
    };
    const refReports: TrialReport[] = [];
    const ref = await runTrial(spec, { onReport: (r) => void refReports.push(r) });
    const trainer = await webGpuTrainer({ backend: "opengles" });
    const gpuReports: TrialReport[] = [];
    const gpu = await runTrial(spec, { trainer, onReport: (r) => void gpuReports.push(r) });
    const keys = ["L1", "L2", "L3", "phi2"] as const;
    const rel = Object.fromEntries(keys.map((k) => [k, Math.abs(gpu[k] - ref[k]) / Math.abs(ref[k])]));
    const folds = maxRel(gpu.foldChi2, ref.foldChi2);
    const replicas = maxRel(gpu.replicaChi2, ref.replicaChi2);
    console.log("runTrial webgpu vs tfjs", {
      ...rel,
      folds,
      replicas,
      epochs: [gpu.epochs, ref.epochs],
      backend: gpu.backend,
    });
    expect(gpu.backend).toMatch(/^webgpu \(opengles: /);
    expect(gpu.epochs).toBe(ref.epochs);
    // members still training at the epoch limit: the last report counts them as stopped
    expect(refReports.at(-2)?.activeReplicas).toBeGreaterThan(0);
    expect(gpuReports.map((r) => [r.epoch, r.activeReplicas])).toEqual(
      refReports.map((r) => [r.epoch, r.activeReplicas]),
    );
    expect(
      maxRel(
        gpuReports.map((r) => r.value),
        refReports.map((r) => r.value),
      ),
    ).toBeLessThan(1e-4);
    for (const k of keys) expect(rel[k], k).toBeLessThan(1e-4);
    expect(folds).toBeLessThan(1e-4);
    expect(replicas).toBeLessThan(1e-4);
    expect(gpu.closure!.ratio).toBeCloseTo(ref.closure!.ratio, 3);
  });

  it("prunes on the report callback's request and stops on the abort signal", async () => {
    const setup = closureSetup();
    const engine = { backend: "opengles" as const };
    const seen: number[] = [];
    const pruned = await trainEnsembleWebGpu(
      setup,
      {
        onReport: (r) => {
          seen.push(r.epoch);
          return r.epoch >= 20;
        },
      },
      engine,
    ).catch((e: unknown) => e);
    expect(pruned).toBeInstanceOf(TrialPrunedError);
    expect((pruned as TrialPrunedError).epoch).toBe(20);
    expect(seen).toEqual([10, 20]);
    const ac = new AbortController();
    const cancelled = await trainEnsembleWebGpu(
      setup,
      { signal: ac.signal, onReport: (r) => void (r.epoch === 10 && ac.abort()) },
      engine,
    ).catch((e: unknown) => e);
    expect(cancelled).toBeInstanceOf(TrialCancelledError);
    expect((cancelled as TrialCancelledError).epoch).toBe(10);
  });

  it.each<[TrainKernel, number]>([
    ["cpu", 64],
    ["fused", 3],
  ])(
    "dropout: the same masks from the same streams as the TF.js trainer (%s kernel, masks uploaded %i epochs at a time)",
    async (kernel, maxMaskEpochs) => {
      const base = closureSetup({ maxEpochs: 30 });
      const setup = { ...base, arch: { ...base.arch, dropout: 0.2 } };
      const { ref } = await expectParity(setup, `dropout (${kernel})`, {
        backend: "opengles",
        kernel,
        maxEpochsPerReadback: 7,
        maxMaskEpochs,
      });
      const noDropout = await trainEnsembleWebGpu(base, {}, { backend: "opengles", kernel });
      // the masks matter: without them the fit is a different one
      expect(compareFits(noDropout, ref).predictions).toBeGreaterThan(1e-2);
    },
  );

  it("names a missing Vulkan adapter clearly", async () => {
    // Vulkan: a GPU where one is present, else WebGpuUnavailableError naming what is missing.
    const vulkan = await webGpuTrainer({ backend: "vulkan" }).then(
      (t) => t.name,
      (e: Error) => e,
    );
    if (typeof vulkan === "string") expect(vulkan).toMatch(/^webgpu \(vulkan: /);
    else {
      expect(vulkan).toBeInstanceOf(WebGpuUnavailableError);
      expect(vulkan.message).toMatch(/no Vulkan adapter/);
    }
  });
});
