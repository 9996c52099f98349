import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM build script without types
import { buildRelaxedWasm, buildWasm, relaxedClang } from "../../../scripts/build-cpu-kernel.mjs";
import { type Activation, initialParameters, parameterLayout } from "../../model/mlp.ts";
import { ReferenceEnsemble } from "../../testing/training.ts";
import type { OptimiserName } from "../../train/optimisers.ts";
import { CpuMlpEnsemble } from "./ensemble.ts";
import { type CpuBuild, loadCpuKernel } from "./load.ts";

const builds = (["wasm", "native"] as CpuBuild[]).filter((b) => loadCpuKernel(b) !== undefined);
// 200 points: three full blocks and a padded one
const N = 200;

function problem(R: number, sizes: number[], activation: Activation) {
  const arch = {
    inputDim: sizes[0]!,
    hidden: sizes.slice(1, -1),
    outputDim: sizes[sizes.length - 1]!,
    activation,
    initializer: "glorot_uniform" as const,
    dropout: 0,
  };
  const layout = parameterLayout(arch);
  const params = new Float32Array(R * layout.size);
  for (let r = 0; r < R; r++) params.set(initialParameters(arch, layout, 7, r), r * layout.size);
  const xs = Array.from({ length: N }, (_, i) => 0.001 + (0.99 * i) / N);
  const inputs = xs.flatMap((x) => [x, Math.log(x)]);
  const F = arch.outputDim;
  const targets = new Float32Array(R * N * F);
  for (let r = 0; r < R; r++)
    for (let n = 0; n < N; n++)
      for (let k = 0; k < F; k++) targets[(r * N + n) * F + k] = Math.sin(xs[n]! * (k + 1) + r);
  return { params, inputs, targets, P: layout.size };
}

async function train(
  build: CpuBuild,
  threads: number,
  R: number,
  opts: {
    sizes?: number[];
    activation?: Activation;
    optimiser?: OptimiserName;
    lr?: number;
    clipnorm?: number;
  },
  steps: number,
) {
  const sizes = opts.sizes ?? [2, 25, 20, 8];
  const activation = opts.activation ?? "tanh";
  const p = problem(R, sizes, activation);
  const rows = Array.from({ length: R }, () => ({
    learningRate: opts.lr ?? 1e-2,
    ...(opts.clipnorm ? { clipnorm: opts.clipnorm } : {}),
  }));
  const ens = await CpuMlpEnsemble.create(
    { sizes, activation, optimiser: opts.optimiser ?? "adam", rows, ...p },
    { threads, kernel: loadCpuKernel(build)! },
  );
  const losses: Float32Array[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      await ens.run(1);
      losses.push(ens.losses());
    }
    return { losses, params: ens.readParameters(), problem: p, sizes, activation, rows };
  } finally {
    ens.dispose();
  }
}

describe.each(builds)("fused CPU kernel (%s build)", (build) => {
  const cases: {
    name: string;
    sizes: number[];
    activation: Activation;
    optimiser: OptimiserName;
    lr: number;
    clipnorm?: number;
  }[] = [
    { name: "2-25-20-8 tanh adam", sizes: [2, 25, 20, 8], activation: "tanh", optimiser: "adam", lr: 1e-2 },
    {
      name: "2-13-7-3 sigmoid nadam",
      sizes: [2, 13, 7, 3],
      activation: "sigmoid",
      optimiser: "nadam",
      lr: 1e-2,
    },
    {
      name: "2-9-5 relu amsgrad clipnorm",
      sizes: [2, 9, 5],
      activation: "relu",
      optimiser: "amsgrad",
      lr: 1e-2,
      clipnorm: 0.05,
    },
    {
      name: "2-6-6-6-2 linear rmsprop",
      sizes: [2, 6, 6, 6, 2],
      activation: "linear",
      optimiser: "rmsprop",
      lr: 1e-3,
    },
    { name: "2-10-4 tanh sgd", sizes: [2, 10, 4], activation: "tanh", optimiser: "sgd", lr: 1e-1 },
    { name: "2-10-4 tanh adadelta", sizes: [2, 10, 4], activation: "tanh", optimiser: "adadelta", lr: 1 },
  ];
  it.each(cases)(
    "matches the float64 reference over 10 steps: $name (2 threads, a replica split between them)",
    async (c) => {
      const R = 3;
      const got = await train(build, 2, R, c, 10);
      const ref = new ReferenceEnsemble({
        sizes: c.sizes,
        activation: c.activation,
        optimiser: { name: c.optimiser, learningRate: c.lr, ...(c.clipnorm ? { clipnorm: c.clipnorm } : {}) },
        replicas: R,
        inputs: got.problem.inputs,
        targets: got.problem.targets,
        params: got.problem.params,
      });
      for (let s = 0; s < 10; s++) {
        const want = ref.step().train;
        for (let r = 0; r < R; r++)
          expect(Math.abs(got.losses[s]![r]! - want[r]!) / want[r]!).toBeLessThan(1e-5);
      }
    },
    60_000,
  );

  it("batched replica r equals replica r alone, bit for bit on one thread", async () => {
    const all = await train(build, 1, 4, {}, 5);
    const P = all.problem.P;
    // replica 2 alone: same init stream and targets as in the batch
    const arch = {
      inputDim: 2,
      hidden: [25, 20],
      outputDim: 8,
      activation: "tanh" as const,
      initializer: "glorot_uniform" as const,
      dropout: 0,
    };
    const layout = parameterLayout(arch);
    const ens = await CpuMlpEnsemble.create(
      {
        sizes: [2, 25, 20, 8],
        activation: "tanh",
        optimiser: "adam",
        rows: [{ learningRate: 1e-2 }],
        inputs: all.problem.inputs,
        targets: all.problem.targets.slice(2 * N * 8, 3 * N * 8),
        params: initialParameters(arch, layout, 7, 2),
      },
      { threads: 1, kernel: loadCpuKernel(build)! },
    );
    await ens.run(5);
    const alone = ens.readParameters();
    ens.dispose();
    expect(Array.from(alone)).toEqual(Array.from(all.params.subarray(2 * P, 3 * P)));
  }, 60_000);

  it("1 and 2 threads give the same trajectory to float32 reduction order", async () => {
    for (const R of [1, 3]) {
      const one = await train(build, 1, R, {}, 5);
      const two = await train(build, 2, R, {}, 5);
      for (let i = 0; i < one.params.length; i++)
        expect(Math.abs(one.params[i]! - two.params[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(one.params[i]!)));
      for (let r = 0; r < R; r++)
        expect(Math.abs(one.losses[4]![r]! - two.losses[4]![r]!) / one.losses[4]![r]!).toBeLessThan(1e-5);
    }
  }, 60_000);
});

function hasClang(): boolean {
  try {
    execFileSync("clang", ["--version"], { stdio: "ignore" });
    execFileSync("wasm-ld", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// CI installs clang and lld (.ci/run): the committed kernel.wasm must be what its source builds to.
describe.runIf(hasClang())("kernel.wasm", () => {
  it("matches its source (rebuilt with clang, compared byte for byte)", () => {
    const out = join(mkdtempSync(join(tmpdir(), "cpu-kernel-")), "kernel.wasm");
    buildWasm(out);
    const committed = readFileSync(new URL("./kernel.wasm", import.meta.url));
    expect(Buffer.compare(readFileSync(out), committed)).toBe(0);
  }, 60_000);

  // the relaxed-SIMD build needs clang ≥ 16 (Debian's clang-16 where installed; CI's clang 14 cannot)
  it.runIf(relaxedClang() !== undefined)(
    "kernel-relaxed.wasm matches its source (clang ≥ 16)",
    () => {
      const out = join(mkdtempSync(join(tmpdir(), "cpu-kernel-")), "kernel-relaxed.wasm");
      buildRelaxedWasm(out);
      const committed = readFileSync(new URL("./kernel-relaxed.wasm", import.meta.url));
      expect(Buffer.compare(readFileSync(out), committed)).toBe(0);
    },
    60_000,
  );
});
