import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../backend.ts";
import { DatasetError } from "../data/dataset.ts";
import { DatasetLimitError, DEFAULT_DATASET_LIMITS } from "../data/limits.ts";
import type { KernelBackend } from "../kernel/kernel.ts";
import { loadCpuKernelBackend } from "../kernel/select.ts";
import { tfjsKernelBackend } from "../kernel/tfjs.ts";
import type { ArchitectureConfig } from "../model/mlp.ts";
import { chi2AgainstReference, relDiff } from "../testing/compare.ts";
import { ensembleTestSetup } from "../testing/fixtures.ts";
import { stackSpec, trainOn } from "../train/host.ts";
import type { EnsembleFit } from "../train/members.ts";
import { WebGpuKernelBackend } from "../webgpu/kernel.ts";
import { buildTheoryTask, checkTheory, positivityViolations } from "./theory.ts";
import { syntheticPdf, syntheticTheory } from "./theorySynthetic.ts";

const clone = <T>(v: T): T => structuredClone(v);

describe("theory task", () => {
  it("builds the synthetic theory: FK map of the truth, shapes, always-fitted edges", () => {
    const src = syntheticTheory({ subsets: 5, pointsPerSubset: 12, gridPoints: 30 });
    const task = buildTheoryTask(src);
    expect(task.kind).toBe("theory");
    expect(task.dataset.nPoints).toBe(60);
    expect(task.modelInputs).toHaveLength(30);
    expect(task.modelInputs[0]).toHaveLength(2);
    expect(task.nOutputs).toBe(3);
    expect(task.dataset.subsets.filter((s) => s.alwaysFitted).map((s) => s.name)).toEqual(["DIS_1", "DIS_5"]);
    const fk = task.head.kind === "fk" ? task.head.fk : new Float64Array();
    expect(fk.length).toBe(60 * 30 * 3);
    const W = 90;
    for (let i = 0; i < 60; i += 7) {
      let t = 0;
      for (let g = 0; g < 30; g++)
        for (let f = 0; f < 3; f++) t += fk[i * W + g * 3 + f]! * syntheticPdf(f, task.plot.x[g]!);
      expect(task.dataset.truth![i]).toBeCloseTo(t, 12);
    }
    // level 0: the data are the truth; the generator is deterministic
    expect(Array.from(task.dataset.central)).toEqual(Array.from(task.dataset.truth!));
    expect(syntheticTheory({ level: 1, seed: 4 })).toEqual(syntheticTheory({ level: 1, seed: 4 }));
    expect(syntheticTheory({ level: 1, seed: 4 })).not.toEqual(syntheticTheory({ level: 1, seed: 5 }));
    // positivity observables of the truth are positive; of a negative gluon they are not
    const truth = Float64Array.from(task.plot.truth!.flat());
    expect(positivityViolations(task, truth).every((v) => v === 0)).toBe(true);
    const bad = truth.map((v, j) => (j % 3 === 2 ? -v : v));
    expect(positivityViolations(task, bad)[2]).toBeLessThan(0);
  });

  it("accepts a full covariance instead of per-point errors", () => {
    const src = syntheticTheory({ subsets: 3, pointsPerSubset: 4, gridPoints: 10 });
    const n = 12;
    const covariance = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => (i === j ? 0.01 : 0.001)),
    );
    const subsets = src.subsets.map(({ stat: _s, normalisation: _n, ...s }) => s);
    const task = buildTheoryTask({ ...src, subsets, covariance });
    expect(task.dataset.cov.entry(0, 11)).toBeCloseTo(0.001, 15);
  });

  it("refuses bad arrays naming the array and the index", () => {
    const src = syntheticTheory({ subsets: 3, pointsPerSubset: 4, gridPoints: 10 });
    const refuse = (mutate: (s: typeof src) => unknown, message: RegExp) => {
      const s = clone(src);
      mutate(s);
      expect(() => checkTheory(s)).toThrow(message);
    };
    const cases: [(s: typeof src) => unknown, RegExp][] = [
      [
        (s) => (s.subsets[1]!.fk[2] as unknown[]).pop(),
        /^subsets\.1\.fk\.2: has 29 entries, expected grid rows × outputs = 30/,
      ],
      [
        (s) => (s.subsets[2]!.fk[3] as unknown[]).splice(7, 1, Number.NaN),
        /^subsets\.2\.fk\.3\.7: must be a finite number/,
      ],
      [
        (s) => (s.subsets[0]!.fk[0] as unknown[]).splice(1, 1, "1"),
        /^subsets\.0\.fk\.0\.1: must be a finite number/,
      ],
      [(s) => s.subsets[0]!.fk.pop(), /^subsets\.0\.fk: has 3 rows, values has 4/],
      [(s) => s.grid.splice(4, 1, [0.5]), /^grid\.4: has 1 features, expected 2/],
      [(s) => s.grid[3]!.splice(0, 1, 1.2), /^grid\.3\.0: x = 1.2: preprocessing needs 0 < x < 1/],
      [(s) => (s.positivity![1]!.fk[2] as unknown[]).push(0), /^positivity\.1\.fk\.2: has 31 entries/],
      [(s) => s.truthOutputs![5]!.pop(), /^truthOutputs\.5: has 2 outputs, expected 3/],
      [(s) => s.subsets[1]!.values.splice(2, 1, Number.POSITIVE_INFINITY), /^subsets\.1\.values\.2: /],
      [(s) => Object.assign(s, { outputNames: ["a"] }), /^outputNames: 1 names for 3 outputs/],
    ];
    for (const [mutate, message] of cases) refuse(mutate, message);
    // a covariance that is not positive definite is found when the task is built
    const s = clone(src);
    s.subsets[0]!.stat![2] = -1;
    expect(() => buildTheoryTask(s)).toThrow(/subsets\.0\.stat\.2/);
  });

  it("refuses oversize theories by limit before parsing, naming the array", () => {
    const limits = { ...DEFAULT_DATASET_LIMITS, maxGridPoints: 20, maxTheoryPoints: 10, maxTheorySubsets: 2 };
    const src = syntheticTheory({ subsets: 3, pointsPerSubset: 4, gridPoints: 30 });
    const err = (() => {
      try {
        checkTheory(src, limits);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DatasetLimitError);
    expect((err as DatasetLimitError).path).toEqual(["grid"]);
    expect(() =>
      checkTheory(syntheticTheory({ subsets: 3, pointsPerSubset: 4, gridPoints: 10 }), limits),
    ).toThrow(/^subsets: 3 sub-datasets, at most 2/);
    expect(() =>
      checkTheory(syntheticTheory({ subsets: 2, pointsPerSubset: 6, gridPoints: 10 }), limits),
    ).toThrow(/^subsets\.1: more than 10 points/);
    expect(() => checkTheory({ ...src, nOutputs: 15 })).toThrow(/^nOutputs: 15 outputs, at most 14/);
    expect(DEFAULT_DATASET_LIMITS.maxTheoryPoints).toBe(10_000);
    expect(DEFAULT_DATASET_LIMITS.maxTheorySubsets).toBe(100);
    expect(DEFAULT_DATASET_LIMITS.maxGridPoints).toBe(200);
    expect(DEFAULT_DATASET_LIMITS.maxTheoryOutputs).toBe(14);
    expect(new DatasetError("x", ["a"]).message).toBe("a: x");
  });

  it("a central replica fits the data itself, the others pseudo-data", async () => {
    const src = {
      ...syntheticTheory({ subsets: 4, pointsPerSubset: 4, gridPoints: 10, level: 2 }),
      centralReplica: true,
    };
    const task = buildTheoryTask(src);
    const { buildMembers } = await import("../train/members.ts");
    const members = buildMembers({ ...theorySetup(task, [0, 1]), folds: [[]] });
    expect(Array.from(members[0]!.data)).toEqual(Array.from(task.dataset.central));
    expect(Array.from(members[1]!.data)).not.toEqual(Array.from(task.dataset.central));
  });
});

const arch: ArchitectureConfig = {
  inputDim: 2,
  hidden: [10, 8],
  outputDim: 3,
  activation: "tanh",
  initializer: "glorot_normal",
  dropout: 0,
  preprocessing: { alphaInit: [-0.6, -0.3], betaInit: [3, 4], trainable: true },
};

const theorySetup = (task: ReturnType<typeof buildTheoryTask>, replicaIds: number[]) =>
  ensembleTestSetup(task, arch, 13, { replicaIds });

// Every kernel: TF.js, the WGSL kernels on Dawn + Mesa llvmpipe (FAILS when Dawn or Mesa is missing, as
// kernel/conformance.test.ts does; CI installs them) and the fused CPU kernel when it loads.
const cpuKernel = await loadCpuKernelBackend();
const kernels: [string, KernelBackend][] = [
  ["tfjs", tfjsKernelBackend],
  ["webgpu (llvmpipe)", new WebGpuKernelBackend({ backend: "opengles", maxEpochsPerReadback: 9 })],
  ...(cpuKernel && (await cpuKernel.available()) ? [["cpu", cpuKernel] as [string, KernelBackend]] : []),
];

describe.each(kernels)("theory task on the %s kernel", (_name, backend) => {
  const task = buildTheoryTask(
    syntheticTheory({ subsets: 5, pointsPerSubset: 10, gridPoints: 24, level: 2 }),
  );
  beforeAll(async () => {
    expect(await selectBackend("cpu")).toBe("cpu");
  });

  it("follows the float64 reference for 10 epochs (chi2 ≤ 1e-5 relative), positivity on", async () => {
    const setup = { ...theorySetup(task, [0, 1]), patienceEpochs: 1000, positivity: 3 };
    const { spec } = stackSpec([setup]);
    const kernel = await backend.create(spec);
    try {
      const { worst } = await chi2AgainstReference(kernel, spec, setup.optimiser, 3, 10);
      expect(worst).toBeLessThan(1e-5);
    } finally {
      kernel.dispose();
    }
  });

  it("gives replica r batched the numbers of replica r alone", async () => {
    const batched = await trainOn(backend, theorySetup(task, [0, 1, 2, 3]));
    const alone = await trainOn(backend, theorySetup(task, [2]));
    const pick = (f: EnsembleFit) => f.members.flatMap((m, s) => (m.replica === 2 ? [s] : []));
    const [b, a] = [pick(batched), pick(alone)];
    expect(b.map((s) => batched.bestEpoch[s])).toEqual(a.map((s) => alone.bestEpoch[s]));
    expect(
      relDiff(
        b.map((s) => batched.predictions[s]!),
        a.map((s) => alone.predictions[s]!),
      ),
    ).toBeLessThan(1e-5);
  });
});
