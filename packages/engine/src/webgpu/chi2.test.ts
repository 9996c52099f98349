/**
 * The WebGPU chi2 engine (chi2.ts, chi2Ensemble.ts, trainer.ts) on Dawn's OpenGL ES backend (Mesa
 * llvmpipe) against the float64 reference (testing/training.ts referenceTaskLoss) and the TF.js trainer
 * (train/trainer.ts lossAndGradient, trainEnsemble, runTrial) on the same members and parameters.
 * Like webgpu.test.ts these FAIL when Dawn or Mesa is missing (CI installs them in .ci/run).
 */

import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { type ArchitectureConfig, initialParameters, parameterLayout } from "../model/mlp.ts";
import { TrialRng } from "../rng.ts";
import { buildClosureTask } from "../tasks/closure.ts";
import { buildTabularTask } from "../tasks/tabular.ts";
import type { Task } from "../tasks/task.ts";
import { ensembleTestSetup } from "../testing/fixtures.ts";
import { referenceTaskLoss } from "../testing/training.ts";
import { stackSpec } from "../train/host.ts";
import { buildMembers, type EnsembleSetup, lossAndGradient } from "../train/trainer.ts";
import { WebGpuChi2Ensemble } from "./chi2Ensemble.ts";
import { getWebGpu, type WebGpuContext } from "./device.ts";
import type { TrainKernel } from "./ensemble.ts";

let ctx: WebGpuContext;

beforeAll(async () => {
  try {
    ctx = await getWebGpu("opengles");
  } catch (e) {
    throw new Error(
      `WebGPU (Dawn + Mesa llvmpipe) is required for these tests and is not available (CI installs it in .ci/run): ${(e as Error).message}`,
    );
  }
  await tf.setBackend("cpu");
});

function closureSetup(over: Partial<EnsembleSetup> = {}, trainable = false): EnsembleSetup {
  const base = buildClosureTask(2, 5);
  const task: Task = trainable
    ? { ...base, preprocessing: { ...base.preprocessing!, trainable: true } }
    : base;
  const arch: ArchitectureConfig = {
    inputDim: 2,
    hidden: [10, 8],
    outputDim: 3,
    activation: "tanh",
    initializer: "glorot_normal",
    dropout: 0,
    preprocessing: { alphaInit: [0.5, 0.6], betaInit: [3.2, 3.6], trainable },
  };
  return ensembleTestSetup(task, arch, 17, over);
}

/** Tabular task: two sub-datasets with a normalisation uncertainty (correlated blocks), select head. */
function tabularSetup(): EnsembleSetup {
  const rng = new TrialRng(3);
  const lines = ["x,y1,e1,y2,e2,set"];
  for (let i = 0; i < 24; i++) {
    const x = i / 23;
    const y1 = Math.sin(3 * x) + 0.05 * rng.normal();
    const y2 = x * x + 0.05 * rng.normal();
    lines.push(`${x},${y1},0.05,${y2},0.07,${i % 2 ? "A" : "B"}`);
  }
  const task = buildTabularTask({
    format: "csv",
    csv: lines.join("\n"),
    inputs: ["x"],
    targets: ["y1", "y2"],
    errors: ["e1", "e2"],
    subset: "set",
    normalisation: 0.05,
  });
  return {
    task,
    arch: {
      inputDim: 1,
      hidden: [6],
      outputDim: 2,
      activation: "sigmoid",
      initializer: "glorot_uniform",
      dropout: 0,
    },
    optimiser: { name: "adam", learningRate: 1e-2 },
    seed: 4,
    replicaIds: [0, 1, 2, 3],
    folds: [[]],
    trainingFraction: 0.7,
    maxEpochs: 30,
    patienceEpochs: 5,
    reportEvery: 10,
  };
}

/** Initial parameters of the setup's members, moved by a seeded perturbation (away from the init). */
function memberParameters(setup: EnsembleSetup, shake: number): Float32Array {
  const layout = parameterLayout(setup.arch);
  const members = buildMembers(setup);
  const P = layout.size;
  const out = new Float32Array(members.length * P);
  const rng = new TrialRng(99);
  members.forEach((m, s) => {
    const p = initialParameters(setup.arch, layout, setup.seed, m.replica);
    // the exponents stay put (with fixed preprocessing the prefactor is computed from the initial ones)
    const net = layout.alpha ?? P;
    for (let i = 0; i < P; i++) out[s * P + i] = p[i]! + (i < net ? shake * rng.normal() : 0);
  });
  return out;
}

interface Errors {
  chi2: number;
  validation: number;
  grad: number;
}

/** Max relative error of the per-member chi2, and of the gradient relative to its largest entry. */
function errors(
  a: { train: ArrayLike<number>; validation: ArrayLike<number>; grad: ArrayLike<number> },
  b: { train: ArrayLike<number>; validation: ArrayLike<number>; grad: ArrayLike<number> },
  P: number,
): Errors {
  const e: Errors = { chi2: 0, validation: 0, grad: 0 };
  for (let s = 0; s < a.train.length; s++) {
    e.chi2 = Math.max(e.chi2, Math.abs(a.train[s]! - b.train[s]!) / Math.abs(b.train[s]!));
    if (b.validation[s]! > 0)
      e.validation = Math.max(e.validation, Math.abs(a.validation[s]! - b.validation[s]!) / b.validation[s]!);
    let scale = 0;
    let diff = 0;
    for (let p = 0; p < P; p++) {
      scale = Math.max(scale, Math.abs(b.grad[s * P + p]!));
      diff = Math.max(diff, Math.abs(a.grad[s * P + p]! - b.grad[s * P + p]!));
    }
    e.grad = Math.max(e.grad, diff / scale);
  }
  return e;
}

async function gpuLossAndGradient(setup: EnsembleSetup, params: Float32Array, kernel: TrainKernel) {
  const ens = await WebGpuChi2Ensemble.create(ctx.device, { ...stackSpec([setup]).spec, params, kernel });
  try {
    return await ens.lossAndGradient();
  } finally {
    ens.destroy();
  }
}

describe("WebGPU chi2 loss on llvmpipe", () => {
  const cases: { name: string; setup: () => EnsembleSetup }[] = [
    { name: "closure task (FK head, fixed preprocessing, 2 folds)", setup: () => closureSetup() },
    {
      name: "closure task with trained exponents and positivity",
      setup: () => closureSetup({ positivity: 3 }, true),
    },
    { name: "tabular task (selection head, normalisation blocks)", setup: tabularSetup },
  ];
  for (const c of cases)
    it.each<TrainKernel>(["cpu", "fused"])(
      `${c.name}: matches float64 and TF.js lossAndGradient (%s kernel)`,
      async (kernel) => {
        const setup = c.setup();
        const P = parameterLayout(setup.arch).size;
        const params = memberParameters(setup, 0.3);
        const gpu = await gpuLossAndGradient(setup, params, kernel);
        const ref = referenceTaskLoss({
          task: setup.task,
          arch: setup.arch,
          layout: parameterLayout(setup.arch),
          members: buildMembers(setup),
          params,
          ...(setup.positivity ? { positivity: setup.positivity } : {}),
        });
        const vsRef = errors(gpu, ref, P);
        const tfl = lossAndGradient(setup, params);
        const gpuTotal = gpu.train.reduce((a, b) => a + b, 0) + gpu.penalty.reduce((a, b) => a + b, 0);
        const refTotal = ref.train.reduce((a, b) => a + b, 0) + ref.penalty.reduce((a, b) => a + b, 0);
        const vsTf = errors(
          { train: [gpuTotal], validation: [0], grad: gpu.grad },
          { train: [tfl.loss], validation: [0], grad: tfl.grad },
          gpu.grad.length,
        );
        const tfVsRef = errors(
          { train: [tfl.loss], validation: [0], grad: tfl.grad },
          { train: [refTotal], validation: [0], grad: ref.grad },
          gpu.grad.length,
        );
        console.log(`${c.name} (${kernel})`, { vsFloat64: vsRef, vsTfjs: vsTf, tfjsVsFloat64: tfVsRef });
        expect(gpu.train.length).toBe(buildMembers(setup).length);
        if (setup.positivity) expect(Math.max(...ref.penalty)).toBeGreaterThan(0);
        expect(vsRef.chi2).toBeLessThan(2e-6);
        expect(vsRef.validation).toBeLessThan(2e-6);
        expect(vsRef.grad).toBeLessThan(2e-6);
        expect(vsTf.chi2).toBeLessThan(2e-6);
        expect(vsTf.grad).toBeLessThan(2e-6);
      },
    );
});
