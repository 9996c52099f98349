/**
 * Float64 references of training, for every kernel's tests and the benchmarks' sanity checks (the
 * point-set chi2, forward pass and random SPD matrices are in reference.ts): the stacked-replica MLP
 * (flat [R][P] layout of model/layout.ts) with the masked mean-squared-error loss, its gradient by
 * hand-written back-propagation and the optimisers of train/optimisers.ts (same formulas, Keras
 * defaults); the chi2 task loss and gradient of kernel/kernel.ts (referenceTaskLoss); and epochs of
 * chi2 training (referenceChi2Training). Slow; TF.js-free.
 */

import { cholesky, solveLower, solveLowerTransposed, subMatrix } from "../linalg.ts";
import { type NetworkLayout, networkLayout } from "../model/layout.ts";
import type { Activation, ArchitectureConfig, ParameterLayout } from "../model/mlp.ts";
import type { Task } from "../tasks/task.ts";
import type { Member } from "../train/members.ts";
import type { OptimiserConfig } from "../train/optimisers.ts";

export interface ReferenceSpec {
  sizes: number[];
  activation: Activation;
  optimiser: OptimiserConfig;
  replicas: number;
  inputs: ArrayLike<number>;
  targets: ArrayLike<number>;
  params: ArrayLike<number>;
  mask?: ArrayLike<number>;
}

function act(a: Activation, z: number): number {
  switch (a) {
    case "tanh":
      return Math.tanh(z);
    case "sigmoid":
      return 1 / (1 + Math.exp(-z));
    case "relu":
      return Math.max(z, 0);
    case "linear":
      return z;
  }
}

function dact(a: Activation, y: number): number {
  switch (a) {
    case "tanh":
      return 1 - y * y;
    case "sigmoid":
      return y * (1 - y);
    case "relu":
      return y > 0 ? 1 : 0;
    case "linear":
      return 1;
  }
}

export class ReferenceEnsemble {
  readonly P: number;
  readonly N: number;
  readonly params: Float64Array;
  private readonly slots: Float64Array[];
  private t = 0;
  private readonly offsets: NetworkLayout["layers"];

  constructor(private readonly spec: ReferenceSpec) {
    const layout = networkLayout(spec.sizes);
    this.offsets = layout.layers;
    this.P = layout.size;
    this.N = spec.inputs.length / spec.sizes[0]!;
    this.params = Float64Array.from(spec.params);
    this.slots = [0, 1, 2].map(() => new Float64Array(spec.replicas * this.P));
  }

  /** Loss (training, validation) and gradient of the training loss for replica r. */
  lossAndGradient(r: number): { train: number; validation: number; grad: Float64Array } {
    const { sizes, activation, inputs, targets, mask } = this.spec;
    const { N, P } = this;
    const L = this.offsets.length;
    const F = sizes[L]!;
    const w = this.params.subarray(r * P, (r + 1) * P);
    const grad = new Float64Array(P);
    let nt = 0;
    for (let n = 0; n < N; n++) nt += mask ? mask[r * N + n]! : 1;
    const nv = N - nt;
    let lt = 0;
    let lv = 0;
    for (let n = 0; n < N; n++) {
      const m = mask ? mask[r * N + n]! : 1;
      const acts: Float64Array[] = [
        Float64Array.from({ length: sizes[0]! }, (_, i) => inputs[n * sizes[0]! + i]!),
      ];
      for (let l = 0; l < L; l++) {
        const { kernel, bias, fanIn, fanOut } = this.offsets[l]!;
        const a = acts[l]!;
        const z = new Float64Array(fanOut);
        for (let j = 0; j < fanOut; j++) {
          let s = w[bias + j]!;
          for (let i = 0; i < fanIn; i++) s += a[i]! * w[kernel + i * fanOut + j]!;
          z[j] = l < L - 1 ? act(activation, s) : s;
        }
        acts.push(z);
      }
      const out = acts[L]!;
      const delta = new Float64Array(F);
      for (let k = 0; k < F; k++) {
        const e = out[k]! - targets[(r * N + n) * F + k]!;
        lt += m * e * e;
        lv += (1 - m) * e * e;
        delta[k] = nt > 0 ? (2 * m * e) / (F * nt) : 0;
      }
      mlpBackward(this.offsets, activation, w, acts, delta, grad);
    }
    return { train: nt > 0 ? lt / (F * nt) : 0, validation: nv > 0 ? lv / (F * nv) : 0, grad };
  }

  /** One step for every replica; returns the losses before the update (as the device does). */
  step(): { train: Float64Array; validation: Float64Array } {
    const { replicas: R, optimiser } = this.spec;
    const P = this.P;
    this.t += 1;
    const train = new Float64Array(R);
    const validation = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      const lg = this.lossAndGradient(r);
      train[r] = lg.train;
      validation[r] = lg.validation;
      const row = (a: Float64Array) => a.subarray(r * P, (r + 1) * P);
      referenceOptimiserStep(optimiser, this.t, lg.grad, row(this.params), this.slots.map(row));
    }
    return { train, validation };
  }
}

/**
 * One float64 optimiser step of one replica (train/optimisers.ts formulas, Keras defaults): clips
 * `g` in place to clipnorm, updates its slots (3 rows) and parameters at step counter t.
 */
export function referenceOptimiserStep(
  optimiser: OptimiserConfig,
  t: number,
  g: Float64Array,
  params: Float64Array,
  slots: Float64Array[],
): void {
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-7;
  const lr = optimiser.learningRate;
  const mu = optimiser.momentum ?? 0;
  const [s0, s1, s2] = slots as [Float64Array, Float64Array, Float64Array];
  const clip = optimiser.clipnorm;
  if (clip !== undefined && clip > 0) {
    let ss = 0;
    for (const x of g) ss += x * x;
    const scale = Math.min(1, clip / Math.max(Math.sqrt(ss), 1e-30));
    for (let p = 0; p < g.length; p++) g[p]! *= scale;
  }
  for (let i = 0; i < g.length; i++) {
    const gi = g[i]!;
    let upd: number;
    switch (optimiser.name) {
      case "adam":
      case "nadam":
      case "amsgrad": {
        const m = b1 * s0[i]! + (1 - b1) * gi;
        const v = b2 * s1[i]! + (1 - b2) * gi * gi;
        s0[i] = m;
        s1[i] = v;
        let vu = v;
        if (optimiser.name === "amsgrad") {
          vu = Math.max(s2[i]!, v);
          s2[i] = vu;
        }
        const vh = vu / (1 - b2 ** t);
        const mh =
          optimiser.name === "nadam"
            ? (m * b1) / (1 - b1 ** (t + 1)) + (gi * (1 - b1)) / (1 - b1 ** t)
            : m / (1 - b1 ** t);
        upd = (lr * mh) / (Math.sqrt(vh) + eps);
        break;
      }
      case "rmsprop": {
        const v = 0.9 * s0[i]! + 0.1 * gi * gi;
        s0[i] = v;
        const st = (lr * gi) / (Math.sqrt(v) + eps);
        if (mu > 0) {
          s1[i] = mu * s1[i]! + st;
          upd = s1[i]!;
        } else upd = st;
        break;
      }
      case "sgd": {
        if (mu > 0) {
          s0[i] = mu * s0[i]! - lr * gi;
          upd = -s0[i]!;
        } else upd = lr * gi;
        break;
      }
      case "adadelta": {
        const rho = 0.95;
        const eg = rho * s0[i]! + (1 - rho) * gi * gi;
        s0[i] = eg;
        const dl = (Math.sqrt(s1[i]! + eps) / Math.sqrt(eg + eps)) * gi;
        s1[i] = rho * s1[i]! + (1 - rho) * dl * dl;
        upd = lr * dl;
        break;
      }
    }
    params[i]! -= upd;
  }
}

/** Float64 forward pass of one replica's MLP at one input row: activations of every layer. */
function mlpForward(
  layers: ParameterLayout["layers"],
  activation: Activation,
  w: ArrayLike<number>,
  x: ArrayLike<number>,
): Float64Array[] {
  const acts = [Float64Array.from(x)];
  layers.forEach(({ kernel, bias, fanIn, fanOut }, l) => {
    const a = acts[l]!;
    const z = new Float64Array(fanOut);
    for (let j = 0; j < fanOut; j++) {
      let s = w[bias + j]!;
      for (let i = 0; i < fanIn; i++) s += a[i]! * w[kernel + i * fanOut + j]!;
      z[j] = l < layers.length - 1 ? act(activation, s) : s;
    }
    acts.push(z);
  });
  return acts;
}

/** Back-propagate dL/d(output) of one row through the MLP, adding into grad. */
function mlpBackward(
  layers: ParameterLayout["layers"],
  activation: Activation,
  w: ArrayLike<number>,
  acts: Float64Array[],
  deltaOut: Float64Array,
  grad: Float64Array,
): void {
  let delta = deltaOut;
  for (let l = layers.length - 1; l >= 0; l--) {
    const { kernel, bias, fanIn, fanOut } = layers[l]!;
    const a = acts[l]!;
    for (let j = 0; j < fanOut; j++) {
      grad[bias + j]! += delta[j]!;
      for (let i = 0; i < fanIn; i++) grad[kernel + i * fanOut + j]! += a[i]! * delta[j]!;
    }
    if (l > 0) {
      const prev = new Float64Array(fanIn);
      for (let i = 0; i < fanIn; i++) {
        let s = 0;
        for (let j = 0; j < fanOut; j++) s += w[kernel + i * fanOut + j]! * delta[j]!;
        prev[i] = s * dact(activation, a[i]!);
      }
      delta = prev;
    }
  }
}

export interface Chi2ReferenceInput {
  task: Task;
  arch: ArchitectureConfig;
  /** model/mlp.ts parameterLayout(arch) (passed in: this module stays free of TF.js). */
  layout: ParameterLayout;
  members: Member[];
  /** Parameters [S][P] in that layout. */
  params: ArrayLike<number>;
  positivity?: number;
}

/**
 * Float64 reference of the chi2 engine's loss: per member the training and validation chi2 of
 * METHOD.md §3 through a Cholesky factor of the covariance on the whole point set and triangular
 * solves (not the block inverses the GPU uses), the positivity penalty, and the gradient of
 * Σ_s (chi2_train,s + penalty_s) by hand-written back-propagation ([S][P]; zero on fixed exponents).
 */
export function referenceTaskLoss(input: Chi2ReferenceInput): {
  train: Float64Array;
  validation: Float64Array;
  penalty: Float64Array;
  grad: Float64Array;
} {
  const { task, arch, layout, members, params } = input;
  const P = layout.size;
  const S = members.length;
  const G = task.modelInputs.length;
  const F = task.nOutputs;
  const N = task.dataset.nPoints;
  const lambda = input.positivity ?? 0;
  // dense on purpose: the reference factorises the whole point set, not the blocks (small tasks only)
  const cov = task.dataset.cov.toDense();
  const out = {
    train: new Float64Array(S),
    validation: new Float64Array(S),
    penalty: new Float64Array(S),
    grad: new Float64Array(S * P),
  };
  members.forEach((m, s) => {
    const w = Array.from({ length: P }, (_, p) => params[s * P + p]!);
    const acts = task.modelInputs.map((x) => mlpForward(layout.layers, arch.activation, w, x));
    const pref = new Float64Array(G * F).fill(1);
    if (layout.alpha !== undefined && task.preprocessing)
      for (let g = 0; g < G; g++)
        for (let f = 0; f < F; f++) {
          const x = task.preprocessing.x[g]!;
          pref[g * F + f] = Math.exp(
            w[layout.alpha + f]! * Math.log(x) + w[layout.alpha + F + f]! * Math.log(1 - x),
          );
        }
    const y = new Float64Array(G * F);
    for (let g = 0; g < G; g++)
      for (let f = 0; f < F; f++) y[g * F + f] = acts[g]![acts[g]!.length - 1]![f]! * pref[g * F + f]!;
    const head = task.head;
    const t = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      if (head.kind === "select") t[i] = y[head.index[i]!]!;
      else for (let k = 0; k < G * F; k++) t[i]! += head.fk[i * G * F + k]! * y[k]!;
    }
    const ge = new Float64Array(N);
    const chi2 = (set: number[], withGradient: boolean) => {
      if (set.length === 0) return 0;
      const idx = [...set].sort((a, b) => a - b);
      const l = cholesky(subMatrix(cov, idx));
      const z = solveLower(
        l,
        idx.map((i) => t[i]! - m.data[i]!),
      );
      if (withGradient) {
        const x = solveLowerTransposed(l, z);
        idx.forEach((i, a) => {
          ge[i] = (2 * x[a]!) / idx.length;
        });
      }
      return z.reduce((a, v) => a + v * v, 0) / idx.length;
    };
    out.train[s] = chi2(m.train, true);
    out.validation[s] = chi2(m.validation, false);
    const gy = new Float64Array(G * F);
    for (let k = 0; k < G * F; k++) {
      if (head.kind === "fk") for (let i = 0; i < N; i++) gy[k]! += head.fk[i * G * F + k]! * ge[i]!;
      if (y[k]! < 0) {
        out.penalty[s]! += lambda * -y[k]!;
        gy[k]! -= lambda;
      }
    }
    if (head.kind === "select")
      head.index.forEach((k, i) => {
        gy[k]! += ge[i]!;
      });
    const grad = out.grad.subarray(s * P, (s + 1) * P);
    for (let g = 0; g < G; g++) {
      const d = Float64Array.from({ length: F }, (_, f) => gy[g * F + f]! * pref[g * F + f]!);
      mlpBackward(layout.layers, arch.activation, w, acts[g]!, d, grad);
      if (layout.alpha !== undefined && arch.preprocessing?.trainable && task.preprocessing) {
        const x = task.preprocessing.x[g]!;
        for (let f = 0; f < F; f++) {
          grad[layout.alpha + f]! += gy[g * F + f]! * y[g * F + f]! * Math.log(x);
          grad[layout.alpha + F + f]! += gy[g * F + f]! * y[g * F + f]! * Math.log(1 - x);
        }
      }
    }
  });
  return out;
}

/**
 * Float64 reference of `steps` epochs of the chi2 training of kernel/kernel.ts (no dropout, no
 * stopping): per epoch every member's training and validation chi2 and penalty at its parameters
 * before the update, then referenceOptimiserStep with the member's own optimiser settings.
 */
export function referenceChi2Training(
  input: Chi2ReferenceInput,
  optimisers: OptimiserConfig[],
  steps: number,
): { train: Float64Array[]; validation: Float64Array[]; params: Float64Array } {
  const P = input.layout.size;
  const S = input.members.length;
  const params = Float64Array.from(input.params);
  const slots = [0, 1, 2].map(() => new Float64Array(S * P));
  const train: Float64Array[] = [];
  const validation: Float64Array[] = [];
  for (let t = 1; t <= steps; t++) {
    const r = referenceTaskLoss({ ...input, params });
    train.push(r.train);
    validation.push(r.validation);
    for (let s = 0; s < S; s++) {
      const row = (a: Float64Array) => a.subarray(s * P, (s + 1) * P);
      referenceOptimiserStep(
        optimisers[s]!,
        t,
        r.grad.subarray(s * P, (s + 1) * P),
        row(params),
        slots.map(row),
      );
    }
  }
  return { train, validation, params };
}
