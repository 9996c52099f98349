/**
 * The CPU training kernel beyond the shared conformance suite, on every build that loads here
 * (native AVX2/FMA, wasm SIMD128): its region header mirrors member.h, its in-kernel dropout stream is
 * drawDropoutMasks' bit for bit (the TF.js kernel draws with it), every activation's loss and
 * gradient (select head, fixed exponents, positivity) follows the float64 reference, the thread count
 * changes nothing, a tabular runTrial scores as the TF.js trainer does, and on the benchmark's MSE
 * problem (identity covariance, select head) it takes the float64 stacked-MLP reference's steps.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../backend.ts";
import {
  type Activation,
  type ArchitectureConfig,
  initialParameters,
  parameterLayout,
} from "../../model/mlp.ts";
import { buildClosureTask } from "../../tasks/closure.ts";
import { maxRelDiff } from "../../testing/compare.ts";
import { ensembleTestSetup, mseKernelSpec } from "../../testing/fixtures.ts";
import { ReferenceEnsemble, referenceTaskLoss } from "../../testing/training.ts";
import { stackSpec } from "../../train/host.ts";
import type { EnsembleSetup } from "../../train/members.ts";
import { runTrial } from "../../trial.ts";
import type { KernelBackend, KernelSpec } from "../kernel.ts";
import { engineTrainer } from "../select.ts";
import { tfjsKernelBackend } from "../tfjs.ts";
import { cpuKernelBackendsPresent, createCpuKernelBackend } from "./backend.ts";
import { memberWordNames } from "./memberLayout.ts";

const builds = cpuKernelBackendsPresent();

beforeAll(async () => {
  expect(await selectBackend("cpu")).toBe("cpu");
});

it("finds the WebAssembly build everywhere", () => {
  expect(builds.map(([b]) => b)).toContain("wasm");
});

it("mirrors member.h's header words in memberLayout.ts", () => {
  const h = readFileSync(new URL("./member.h", import.meta.url), "utf8");
  const body = h.slice(h.indexOf("  M_MAGIC = 0"), h.indexOf("M_WORDS") + "M_WORDS".length);
  const names = [...body.matchAll(/\bM_([A-Z0-9_]+)/g)].map((m) => m[1]!);
  // M_OFF_X = M_SIZES + KERNEL_MAX_LAYERS + 1 names SIZES twice; the layout leaves those words blank
  const declared = names.filter((n, i) => !(n === "SIZES" && names.indexOf(n) !== i));
  expect(declared).toEqual(memberWordNames.filter((n) => n !== ""));
});

it("is forced to a build and thread count by ENGINE_CPU_BUILD and ENGINE_CPU_THREADS, naming a bad value", async () => {
  const saved = { build: process.env.ENGINE_CPU_BUILD, threads: process.env.ENGINE_CPU_THREADS };
  try {
    process.env.ENGINE_CPU_BUILD = "wasm";
    process.env.ENGINE_CPU_THREADS = "3";
    const b = createCpuKernelBackend();
    expect(await b.available()).toBe(true);
    expect(await b.describe()).toBe("cpu (wasm simd128, 3 threads)");
    process.env.ENGINE_CPU_BUILD = "avx512";
    await expect(b.available()).rejects.toThrow(/ENGINE_CPU_BUILD must be native, wasm-relaxed or wasm/);
    process.env.ENGINE_CPU_BUILD = "wasm";
    process.env.ENGINE_CPU_THREADS = "0";
    await expect(b.describe()).rejects.toThrow(/ENGINE_CPU_THREADS must be an integer/);
  } finally {
    for (const [k, v] of [
      ["ENGINE_CPU_BUILD", saved.build],
      ["ENGINE_CPU_THREADS", saved.threads],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
});

const task = buildClosureTask(2, 5);
const arch: ArchitectureConfig = {
  inputDim: 2,
  hidden: [9, 6],
  outputDim: 3,
  activation: "tanh",
  initializer: "glorot_normal",
  dropout: 0,
  preprocessing: { alphaInit: [0.4, 0.7], betaInit: [3, 4], trainable: false },
};

const setupFor = (over: Partial<EnsembleSetup> = {}) =>
  ensembleTestSetup(task, arch, 13, { patienceEpochs: 1000, ...over });

async function losses(backend: KernelBackend, spec: KernelSpec, epochs: number) {
  const k = await backend.create(spec);
  try {
    const out: number[][] = [];
    for (let e = 0; e < epochs; e++) {
      await k.step(1);
      const st = await k.state();
      out.push([...st.train, ...st.validation]);
    }
    return { out, params: await k.readParameters("current") };
  } finally {
    k.dispose();
  }
}

describe.each(builds)("cpu kernel (%s build)", (_build, backend) => {
  it("draws the dropout masks of the TF.js kernel (drawDropoutMasks' stream), per member rate", async () => {
    const { spec } = stackSpec([
      setupFor({ arch: { ...arch, dropout: 0.3 } }),
      setupFor({ seed: 2, arch: { ...arch, dropout: 0.1 }, replicaIds: [4] }),
      setupFor({ seed: 3, replicaIds: [5] }),
    ]);
    const [got, want] = [await losses(backend, spec, 6), await losses(tfjsKernelBackend, spec, 6)];
    // different masks move the training chi2 by percents; the same ones agree to float32 rounding
    got.out.forEach((row, e) => {
      expect(maxRelDiff(row, want.out[e]!)).toBeLessThan(1e-5);
    });
    expect(maxRelDiff(got.params, want.params)).toBeLessThan(1e-4);
  });

  it.each([
    ["sigmoid", [9, 6]],
    ["relu", [9, 6]],
    ["linear", [9, 6]],
    ["tanh", [9, 6]],
    // four hidden layers of sizes that fill no SIMD tile evenly
    ["tanh", [13, 7, 5, 3]],
  ] as [Activation, number[]][])(
    "follows the float64 loss and gradient (%s, hidden %j, fixed exponents, positivity)",
    async (activation, hidden) => {
      const a = { ...arch, activation, hidden };
      const { spec } = stackSpec([setupFor({ arch: a, positivity: 2 })]);
      const members = spec.members.map((m) => ({
        ...m.member,
        data: Float64Array.from(Float32Array.from(m.member.data)),
      }));
      const ref = referenceTaskLoss({
        task,
        arch: a,
        layout: spec.layout,
        members,
        params: spec.params,
        positivity: 2,
      });
      const k = await backend.create({
        ...spec,
        members: spec.members.map((m) => ({ ...m, settings: { ...m.settings, positivity: 2 } })),
      });
      try {
        const got = await k.lossAndGradient();
        expect(maxRelDiff(got.train, ref.train)).toBeLessThan(1e-5);
        expect(maxRelDiff(got.validation, ref.validation)).toBeLessThan(1e-5);
        // the reference's penalty carries λ; the kernel's is Σ relu(−out) (kernel.ts KernelGradient)
        expect(
          maxRelDiff(
            got.penalty.map((v) => 2 * v),
            ref.penalty,
          ),
        ).toBeLessThan(1e-5);
        expect(maxRelDiff(got.grad, ref.grad)).toBeLessThan(1e-4);
        const P = spec.layout.size;
        for (let s = 0; s < spec.members.length; s++)
          for (let j = spec.layout.alpha!; j < P; j++) expect(got.grad[s * P + j]).toBe(0);
      } finally {
        k.dispose();
      }
    },
  );

  it("takes the MSE steps of the float64 stacked-MLP reference on bench:engine's problem (identity covariance, select head)", async () => {
    const sizes = [2, 25, 20, 8];
    const [N, R, F] = [200, 3, 8];
    const a: ArchitectureConfig = { ...arch, hidden: [25, 20], outputDim: F, preprocessing: undefined };
    const layout = parameterLayout(a);
    const params = new Float32Array(R * layout.size);
    for (let r = 0; r < R; r++) params.set(initialParameters(a, layout, 5, r), r * layout.size);
    const xs = Array.from({ length: N }, (_, n) => 10 ** (-3 + (2.9 * n) / N));
    const inputs = xs.flatMap((x) => [x, Math.log(x)]);
    // float32 targets: the kernel stores its data in float32, the reference reads these
    const targets = Float32Array.from({ length: R * N * F }, (_, i) => {
      const [r, n, k] = [Math.floor(i / (N * F)), Math.floor(i / F) % N, i % F];
      return Math.sin(xs[n]! * (k + 1) + r);
    });
    const optimiser = { name: "adam" as const, learningRate: 1e-2 };
    const problem = { sizes, activation: "tanh" as const, optimiser, inputs, targets, params };
    const ref = new ReferenceEnsemble({ ...problem, replicas: R });
    // 3 members on 2 threads: the threads take members from the counter
    const k = await createCpuKernelBackend({ build: _build, threads: 2 }).create(mseKernelSpec(problem));
    try {
      for (let e = 0; e < 8; e++) {
        await k.step(1);
        const st = await k.state();
        expect(maxRelDiff(st.train, ref.step().train)).toBeLessThan(1e-5);
        expect(Array.from(st.active)).toEqual([1, 1, 1]);
      }
      expect(maxRelDiff(await k.readParameters("current"), ref.params)).toBeLessThan(1e-5);
    } finally {
      k.dispose();
    }
  });

  it("gives the same numbers on 1 and 3 threads", async () => {
    const { spec } = stackSpec([setupFor({ arch: { ...arch, dropout: 0.2 }, patienceEpochs: 4 })]);
    const one = await losses(createCpuKernelBackend({ build: _build, threads: 1 }), spec, 12);
    const three = await losses(createCpuKernelBackend({ build: _build, threads: 3 }), spec, 12);
    expect(three.out).toEqual(one.out);
    expect(Array.from(three.params)).toEqual(Array.from(one.params));
  });

  it("scores a tabular runTrial (select head) within 1e-4 of the TF.js trainer", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => {
      const x = i / 39;
      return `${x},${Math.sin(3 * x)},0.05,${i < 4 || i > 35 ? "edge" : ["a", "b", "c"][i % 3]}`;
    });
    const spec = {
      task: {
        kind: "tabular" as const,
        dataset: {
          format: "csv" as const,
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
      maxEpochs: 40,
      reportEvery: 20,
      params: { n_layers: 2, units_1: 8, units_2: 5, activation: "sigmoid", learning_rate: 0.02 },
      backend: "cpu" as const,
    };
    const ref = await runTrial(spec);
    const got = await runTrial(spec, { trainer: engineTrainer(backend, await backend.describe()) });
    expect(got.epochs).toBe(ref.epochs);
    for (const k of ["L1", "L2", "L3"] as const)
      expect(Math.abs(got[k] - ref[k]) / Math.abs(ref[k]), k).toBeLessThan(1e-4);
    expect(maxRelDiff(got.replicaChi2, ref.replicaChi2)).toBeLessThan(1e-4);
  });
});
