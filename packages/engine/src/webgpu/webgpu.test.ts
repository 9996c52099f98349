/**
 * The WebGPU kernels against float64 references, on Dawn's OpenGL ES backend (Mesa llvmpipe). These
 * tests FAIL (not skip) when Dawn or Mesa is missing: CI installs libegl1 libgles2 libegl-mesa0
 * libgl1-mesa-dri (see .ci/run). Tiny shapes: the pipelines compile once per file (~0.3 s).
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { type ArchitectureConfig, forward, initialParameters, parameterLayout } from "../model/mlp.ts";
import { TrialRng } from "../rng.ts";
import { ReferenceEnsemble } from "../testing/training.ts";
import { type OptimiserConfig, StackedOptimiser } from "../train/optimisers.ts";
import { getWebGpu, type WebGpuContext } from "./device.ts";
import { type TrainKernel, WebGpuEnsemble, type WebGpuEnsembleSpec } from "./ensemble.ts";

const sizes = [2, 25, 20, 8];
const F = 8;
const P = 2 * 25 + 25 + 25 * 20 + 20 + 20 * 8 + 8;

let ctx: WebGpuContext;
const kernels: TrainKernel[] = ["cpu", "fused"];

beforeAll(async () => {
  try {
    ctx = await getWebGpu("opengles");
  } catch (e) {
    throw new Error(
      `WebGPU (Dawn + Mesa llvmpipe) is required for these tests and is not available (CI installs it in .ci/run): ${(e as Error).message}`,
    );
  }
});

/** Workload of the benchmark at small size: inputs [x, log x], per-replica sinusoid targets. */
function problem(R: number, N: number, seed: number, withMask: boolean) {
  const rng = new TrialRng(seed);
  const inputs = new Float32Array(N * 2);
  for (let n = 0; n < N; n++) {
    const x = n < N / 2 ? 10 ** (-5 + (5 * n) / (N / 2)) : 0.1 + (0.899 * (n - N / 2)) / (N / 2);
    inputs[n * 2] = x;
    inputs[n * 2 + 1] = Math.log(x);
  }
  const targets = new Float32Array(R * N * F);
  const w = [1, 2, 3, 5, 7, 11, 13, 17];
  for (let r = 0; r < R; r++) {
    const ph = w.map(() => rng.uniform() * 6.283);
    for (let n = 0; n < N; n++)
      for (let k = 0; k < F; k++) targets[(r * N + n) * F + k] = Math.sin(inputs[n * 2]! * w[k]! + ph[k]!);
  }
  const params = new Float32Array(R * P);
  let off = 0;
  for (let r = 0; r < R; r++)
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fi = sizes[l]!;
      const fo = sizes[l + 1]!;
      const lim = Math.sqrt(6 / (fi + fo));
      for (let i = 0; i < fi * fo; i++) params[off++] = (2 * rng.uniform() - 1) * lim;
      for (let i = 0; i < fo; i++) params[off++] = 0.05 * (2 * rng.uniform() - 1);
    }
  const mask = withMask
    ? Float32Array.from({ length: R * N }, () => (rng.uniform() < 0.75 ? 1 : 0))
    : undefined;
  return { inputs, targets, params, mask };
}

interface Errors {
  lossRel: number;
  valRel: number;
  paramAbs: number;
  paramRel: number;
}

async function compare(
  optimiser: OptimiserConfig,
  R: number,
  N: number,
  steps: number,
  extra: Partial<WebGpuEnsembleSpec> = {},
): Promise<Errors> {
  const data = problem(R, N, 7, true);
  const spec = { sizes, activation: "tanh" as const, optimiser, replicas: R, ...data };
  // The float64 trajectory first: long synchronous work never interleaves with pending GPU work.
  const ref = new ReferenceEnsemble(spec);
  const refLosses = Array.from({ length: steps }, () => ref.step());
  const gpu = await WebGpuEnsemble.create(ctx.device, { ...spec, ...extra });
  const err: Errors = { lossRel: 0, valRel: 0, paramAbs: 0, paramRel: 0 };
  try {
    for (let s = 0; s < steps; s++) {
      gpu.step(1);
      const l = await gpu.losses();
      const rl = refLosses[s]!;
      for (let r = 0; r < R; r++) {
        err.lossRel = Math.max(err.lossRel, Math.abs(l.train[r]! - rl.train[r]!) / Math.abs(rl.train[r]!));
        err.valRel = Math.max(
          err.valRel,
          Math.abs(l.validation[r]! - rl.validation[r]!) / Math.abs(rl.validation[r]!),
        );
        expect(l.steps[r]).toBe(s + 1);
      }
    }
    const p = await gpu.parameters();
    let scale = 0;
    for (let i = 0; i < p.length; i++) {
      err.paramAbs = Math.max(err.paramAbs, Math.abs(p[i]! - ref.params[i]!));
      scale = Math.max(scale, Math.abs(ref.params[i]! - data.params[i]!));
    }
    // Error relative to the largest distance any parameter travelled.
    err.paramRel = err.paramAbs / scale;
  } finally {
    gpu.destroy();
  }
  return err;
}

describe("WebGPU ensemble kernels on llvmpipe", () => {
  it.each(kernels)(
    "Adam (%s kernel): 12 steps at R=4, N=100 (partial point tile, train/validation mask) match float64",
    async (kernel) => {
      const e = await compare({ name: "adam", learningRate: 1e-2 }, 4, 100, 12, { kernel });
      console.log(`adam (${kernel}) vs float64`, e);
      expect(e.lossRel).toBeLessThan(5e-5);
      expect(e.valRel).toBeLessThan(5e-5);
      expect(e.paramRel).toBeLessThan(1e-3);
    },
  );

  it.each(kernels)(
    "long point loops stay under llvmpipe's loop-iteration cap (%s kernel, N=3000, C forced to 1)",
    async (kernel) => {
      // llvmpipe silently stops a shader invocation's loops after 65,535 iterations; an invocation that
      // walked all 3000 points would return a truncated gradient and loss. The ensemble raises C instead.
      const e = await compare({ name: "adam", learningRate: 1e-3 }, 1, 3000, 3, {
        kernel,
        blocksPerReplica: 1,
      });
      console.log(`N=3000 (${kernel}) vs float64`, e);
      expect(e.lossRel).toBeLessThan(1e-5);
      expect(e.paramRel).toBeLessThan(1e-3);
    },
  );

  it("Nadam, Amsgrad, RMSprop, SGD-momentum, Adadelta with per-replica clipnorm match float64 over 10 steps", async () => {
    const cases: OptimiserConfig[] = [
      { name: "nadam", learningRate: 1e-2 },
      { name: "amsgrad", learningRate: 1e-2, clipnorm: 1e-1 },
      { name: "rmsprop", learningRate: 1e-3, momentum: 0.5 },
      { name: "sgd", learningRate: 1e-1, momentum: 0.9, clipnorm: 0.05 },
      { name: "adadelta", learningRate: 1 },
    ];
    for (const o of cases) {
      const kernel = o.name === "nadam" ? "fused" : "cpu";
      const e = await compare(o, 2, 64, 10, { kernel });
      console.log(`${o.name} (${kernel}) vs float64`, e);
      expect(e.lossRel, o.name).toBeLessThan(5e-5);
      expect(e.paramRel, o.name).toBeLessThan(2e-3);
    }
  });

  it.each(kernels)(
    "chunking replicas by binding size gives the same numbers as one chunk (%s kernel)",
    async (kernel) => {
      const R = 5;
      const N = 64;
      const data = problem(R, N, 11, false);
      const base = {
        sizes,
        activation: "tanh" as const,
        optimiser: { name: "adam" as const, learningRate: 1e-2, clipnorm: 1 },
        replicas: R,
        ...data,
        blocksPerReplica: 1,
        kernel,
      };
      const one = await WebGpuEnsemble.create(ctx.device, base);
      // Per replica the largest binding is the partial gradients (C·P floats): room for 2 per chunk.
      const perReplica = 4 * Math.max(N * F, one.C * P);
      const many = await WebGpuEnsemble.create(ctx.device, {
        ...base,
        maxBindingBytes: 2 * perReplica + 100,
      });
      const alone = await WebGpuEnsemble.create(ctx.device, {
        ...base,
        replicas: 1,
        inputs: data.inputs,
        targets: data.targets.slice(3 * N * F, 4 * N * F),
        params: data.params.slice(3 * P, 4 * P),
      });
      try {
        expect(one.chunks.length).toBe(1);
        expect(many.chunks.map((c) => c.count)).toEqual([2, 2, 1]);
        one.step(10);
        many.step(10);
        alone.step(10);
        const [a, b, c] = [await one.parameters(), await many.parameters(), await alone.parameters()];
        expect(Array.from(b)).toEqual(Array.from(a));
        // Replica 3 in the stack follows the same trajectory as replica 3 trained alone.
        expect(Array.from(c)).toEqual(Array.from(a.subarray(3 * P, 4 * P)));
        const [la, lb] = [await one.losses(), await many.losses()];
        expect(Array.from(lb.train)).toEqual(Array.from(la.train));
      } finally {
        one.destroy();
        many.destroy();
        alone.destroy();
      }
    },
  );

  it("matches the TF.js trainer numerics (mlp.ts forward, StackedOptimiser Adam, cpu backend, same init)", async () => {
    const R = 3;
    const N = 64;
    const arch: ArchitectureConfig = {
      inputDim: 2,
      hidden: [25, 20],
      outputDim: 8,
      activation: "tanh",
      initializer: "glorot_normal",
      dropout: 0,
    };
    const layout = parameterLayout(arch);
    expect(layout.size).toBe(P);
    const data = problem(R, N, 5, false);
    const params = new Float32Array(R * P);
    for (let r = 0; r < R; r++) params.set(initialParameters(arch, layout, 42, r), r * P);
    const optimiser: OptimiserConfig = { name: "adam", learningRate: 1e-2 };
    const steps = 10;

    await tf.setBackend("cpu");
    const tfLosses: number[][] = [];
    let tfParams: Float32Array;
    {
      const inputs = tf.tensor3d(Array.from({ length: R }, () => Array.from(data.inputs)).flat(), [
        R,
        N,
        2,
      ]) as tf.Tensor3D;
      const y = tf.tensor3d(data.targets, [R, N, F]);
      const w = tf.variable(tf.tensor2d(params, [R, P]));
      const opt = new StackedOptimiser(optimiser, [R, P]);
      const active = tf.ones([R, 1]) as tf.Tensor2D;
      for (let s = 0; s < steps; s++) {
        const { value, grads } = tf.variableGrads(() => {
          const out = forward(arch, layout, w, { inputs });
          return tf.sum(tf.mean(tf.square(tf.sub(out, y)), [1, 2])) as tf.Scalar;
        }, [w]);
        const perReplica = tf.tidy(() =>
          tf.mean(tf.square(tf.sub(forward(arch, layout, w, { inputs }), y)), [1, 2]),
        );
        tfLosses.push(Array.from(await perReplica.data()));
        perReplica.dispose();
        opt.apply(w, grads[w.name] as tf.Tensor2D, active);
        value.dispose();
        for (const g of Object.values(grads)) g.dispose();
      }
      tfParams = (await w.data()) as Float32Array;
      tf.dispose([inputs, y, w, active]);
      opt.dispose();
    }

    const gpu = await WebGpuEnsemble.create(ctx.device, {
      sizes,
      activation: "tanh",
      optimiser,
      replicas: R,
      inputs: data.inputs,
      targets: data.targets,
      params,
    });
    let lossRel = 0;
    try {
      for (let s = 0; s < steps; s++) {
        gpu.step(1);
        const l = await gpu.losses();
        for (let r = 0; r < R; r++)
          lossRel = Math.max(lossRel, Math.abs(l.train[r]! - tfLosses[s]![r]!) / tfLosses[s]![r]!);
      }
      const p = await gpu.parameters();
      let paramAbs = 0;
      for (let i = 0; i < p.length; i++) paramAbs = Math.max(paramAbs, Math.abs(p[i]! - tfParams[i]!));
      console.log("vs tfjs cpu", { lossRel, paramAbs });
      expect(lossRel).toBeLessThan(1e-5);
      // Both float32; lr 1e-2 × 10 steps moves parameters up to 0.1.
      expect(paramAbs).toBeLessThan(1e-4);
    } finally {
      gpu.destroy();
    }
  });

  it("survives garbage collection between steps and readbacks (the dawn.node GPU object stays referenced)", async () => {
    setFlagsFromString("--expose_gc");
    const gc = runInNewContext("gc") as () => void;
    const data = problem(2, 64, 3, false);
    const e = await WebGpuEnsemble.create(ctx.device, {
      sizes,
      activation: "tanh",
      optimiser: { name: "adam", learningRate: 1e-3 },
      replicas: 2,
      ...data,
    });
    try {
      for (let i = 0; i < 3; i++) {
        e.step(2);
        gc();
        const l = await e.losses();
        expect(l.steps[0]).toBe(2 * (i + 1));
      }
    } finally {
      e.destroy();
    }
  });
});
