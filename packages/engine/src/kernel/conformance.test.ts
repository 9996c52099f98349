/**
 * One conformance suite over every training kernel present (kernel/kernel.ts): TF.js (the reference,
 * on its cpu backend), the WGSL kernels on Dawn + Mesa llvmpipe, and the fused CPU kernel when its
 * module is part of the build, once per build that loads (native, wasm). Each kernel must follow the float64 reference for 10 epochs with
 * every optimiser, give replica r batched as alone, packed trials as lone trials, move members
 * unchanged when compacting, and score a whole runTrial as the TF.js trainer does.
 * FAILS when Dawn or Mesa is missing (CI installs them in .ci/run).
 */

import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../backend.ts";
import type { ArchitectureConfig } from "../model/mlp.ts";
import { buildClosureTask } from "../tasks/closure.ts";
import { chi2AgainstReference, relDiff } from "../testing/compare.ts";
import { ensembleTestSetup } from "../testing/fixtures.ts";
import { stackSpec, trainOn, trainPackedOn } from "../train/host.ts";
import type { EnsembleFit, EnsembleSetup } from "../train/members.ts";
import type { OptimiserConfig, OptimiserName } from "../train/optimisers.ts";
import { runTrial } from "../trial.ts";
import { WebGpuKernelBackend } from "../webgpu/kernel.ts";
import { cpuKernelBackendsPresent } from "./cpu/backend.ts";
import type { KernelBackend } from "./kernel.ts";
import { engineTrainer } from "./select.ts";
import { tfjsKernelBackend } from "./tfjs.ts";

// the CPU kernel once per build that loads here (native AVX2/FMA, wasm SIMD128)
const kernels: [string, KernelBackend][] = [
  ["tfjs", tfjsKernelBackend],
  ["webgpu (llvmpipe)", new WebGpuKernelBackend({ backend: "opengles", maxEpochsPerReadback: 9 })],
  ...cpuKernelBackendsPresent().map(([build, b]) => [`cpu ${build}`, b] as [string, KernelBackend]),
];

beforeAll(async () => {
  // TF.js: the reference runs on its plain cpu backend (also for the runTrial comparison)
  expect(await selectBackend("cpu")).toBe("cpu");
});

const task = buildClosureTask(2, 5);
const arch: ArchitectureConfig = {
  inputDim: 2,
  hidden: [10, 8],
  outputDim: 3,
  activation: "tanh",
  initializer: "glorot_normal",
  dropout: 0,
  preprocessing: { alphaInit: [0.4, 0.7], betaInit: [3, 4], trainable: true },
};

const setupFor = (over: Partial<EnsembleSetup> = {}) => ensembleTestSetup(task, arch, 13, over);

function expectSameFit(got: EnsembleFit, want: EnsembleFit, tol: number) {
  expect(got.epochs).toBe(want.epochs);
  expect(got.bestEpoch).toEqual(want.bestEpoch);
  expect(relDiff(got.predictions, want.predictions)).toBeLessThan(tol);
  expect(relDiff([got.bestValidationChi2], [want.bestValidationChi2])).toBeLessThan(tol);
}

const optimisers: Record<OptimiserName, OptimiserConfig> = {
  adam: { name: "adam", learningRate: 3e-3, clipnorm: 5 },
  nadam: { name: "nadam", learningRate: 3e-3 },
  amsgrad: { name: "amsgrad", learningRate: 3e-3 },
  rmsprop: { name: "rmsprop", learningRate: 1e-3, momentum: 0.5 },
  sgd: { name: "sgd", learningRate: 1e-3, momentum: 0.9, clipnorm: 20 },
  adadelta: { name: "adadelta", learningRate: 1 },
};

describe.each(kernels)("training kernel conformance: %s", (_name, backend) => {
  it.each(Object.keys(optimisers) as OptimiserName[])(
    "follows the float64 reference for 10 epochs (%s, chi2 ≤ 1e-5 relative)",
    async (name) => {
      // positivity on, fixed exponents: both the penalty and the frozen parameters take part
      const setup = setupFor({
        optimiser: optimisers[name],
        patienceEpochs: 1000,
        positivity: 3,
        arch: { ...arch, preprocessing: { ...arch.preprocessing!, trainable: name !== "adam" } },
      });
      const { spec } = stackSpec([setup]);
      const kernel = await backend.create(spec);
      try {
        const { worst, epochs } = await chi2AgainstReference(kernel, spec, setup.optimiser, 3, 10);
        expect(epochs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        console.log(`${_name} ${name}: worst chi2 relative error over 10 epochs ${worst.toExponential(2)}`);
        expect(worst).toBeLessThan(1e-5);
      } finally {
        kernel.dispose();
      }
    },
  );

  it("gives replica r batched the numbers of replica r alone", async () => {
    const batched = await trainOn(backend, setupFor({ replicaIds: [0, 1, 2, 3] }));
    const alone = await trainOn(backend, setupFor({ replicaIds: [2] }));
    const pick = (f: EnsembleFit) => f.members.flatMap((m, s) => (m.replica === 2 ? [s] : []));
    const [b, a] = [pick(batched), pick(alone)];
    expect(b.map((s) => batched.bestEpoch[s])).toEqual(a.map((s) => alone.bestEpoch[s]));
    expect(
      relDiff(
        b.map((s) => batched.predictions[s]!),
        a.map((s) => alone.predictions[s]!),
      ),
    ).toBeLessThan(1e-4);
  });

  it("gives packed trials (different settings) the fits they get alone", async () => {
    const trials = [
      setupFor({ optimiser: { name: "adam", learningRate: 1e-2, clipnorm: 0.5 }, maxEpochs: 30 }),
      setupFor({
        seed: 4,
        optimiser: { name: "adam", learningRate: 3e-2 },
        patienceEpochs: 3,
        arch: { ...arch, dropout: 0.1 },
        positivity: 2,
      }),
      setupFor({ seed: 5, replicaIds: [7], reportEvery: 7 }),
    ];
    const packed = await Promise.all(
      trainPackedOn(
        backend,
        trials.map((setup) => ({ setup })),
      ),
    );
    for (const [i, setup] of trials.entries()) expectSameFit(packed[i]!, await trainOn(backend, setup), 1e-4);
  });

  it("moves members unchanged when compacting, and a frozen member's parameters stay put", async () => {
    const { spec } = stackSpec([setupFor({ patienceEpochs: 1000 })]);
    const [whole, compacted] = [await backend.create(spec), await backend.create(spec)];
    try {
      await whole.step(5);
      await compacted.step(5);
      compacted.freeze([1]);
      const frozen = await compacted.readParameters("current", [1]);
      await whole.step(2);
      await compacted.step(2);
      expect(Array.from(await compacted.readParameters("current", [1]))).toEqual(Array.from(frozen));
      await compacted.compact([4, 0, 2]);
      expect(compacted.size).toBe(3);
      await whole.step(5);
      await compacted.step(5);
      const [a, b] = [await whole.state(), await compacted.state()];
      const rows = [4, 0, 2];
      expect(
        relDiff([b.train, b.validation], [rows.map((p) => a.train[p]!), rows.map((p) => a.validation[p]!)]),
      ).toBeLessThan(1e-6);
      const pw = await whole.readParameters("best", rows);
      expect(relDiff([await compacted.readParameters("best")], [pw])).toBeLessThan(1e-6);
    } finally {
      whole.dispose();
      compacted.dispose();
    }
  });

  it("scores a whole runTrial within 1e-4 of the TF.js trainer", async () => {
    const spec = {
      task: { kind: "closure" as const, level: 2 as const, seed: 3 },
      replicas: 3,
      folds: 2,
      seed: 11,
      maxEpochs: 30,
      reportEvery: 10,
      params: { n_layers: 2, units_1: 12, units_2: 8, learning_rate: 0.02, stopping_patience: 0.2 },
      backend: "cpu" as const,
    };
    const ref = await runTrial(spec);
    const got = await runTrial(spec, { trainer: engineTrainer(backend, await backend.describe()) });
    expect(got.epochs).toBe(ref.epochs);
    for (const k of ["L1", "L2", "L3", "phi2"] as const)
      expect(Math.abs(got[k] - ref[k]) / Math.abs(ref[k]), k).toBeLessThan(1e-4);
    expect(relDiff([got.replicaChi2], [ref.replicaChi2])).toBeLessThan(1e-4);
  });
});
