/**
 * Float64 JavaScript reference of what the WebGPU kernels compute: the stacked-replica MLP (flat
 * [R][P] layout of model/mlp.ts), the masked mean-squared-error loss, its gradient by hand-written
 * backpropagation, and the optimisers of train/optimisers.ts (same formulas, Keras defaults).
 * Slow, for tests and benchmark sanity checks only.
 */

import type { Activation } from "../model/mlp.ts";
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
  private readonly offsets: { kernel: number; bias: number; fanIn: number; fanOut: number }[] = [];

  constructor(private readonly spec: ReferenceSpec) {
    let off = 0;
    for (let i = 0; i + 1 < spec.sizes.length; i++) {
      const fanIn = spec.sizes[i]!;
      const fanOut = spec.sizes[i + 1]!;
      this.offsets.push({ kernel: off, bias: off + fanIn * fanOut, fanIn, fanOut });
      off += fanIn * fanOut + fanOut;
    }
    this.P = off;
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
      let delta = new Float64Array(F);
      for (let k = 0; k < F; k++) {
        const e = out[k]! - targets[(r * N + n) * F + k]!;
        lt += m * e * e;
        lv += (1 - m) * e * e;
        delta[k] = nt > 0 ? (2 * m * e) / (F * nt) : 0;
      }
      for (let l = L - 1; l >= 0; l--) {
        const { kernel, bias, fanIn, fanOut } = this.offsets[l]!;
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
    return { train: nt > 0 ? lt / (F * nt) : 0, validation: nv > 0 ? lv / (F * nv) : 0, grad };
  }

  /** One step for every replica; returns the losses before the update (as the device does). */
  step(): { train: Float64Array; validation: Float64Array } {
    const { replicas: R, optimiser } = this.spec;
    const P = this.P;
    this.t += 1;
    const t = this.t;
    const b1 = 0.9;
    const b2 = 0.999;
    const eps = 1e-7;
    const lr = optimiser.learningRate;
    const mu = optimiser.momentum ?? 0;
    const train = new Float64Array(R);
    const validation = new Float64Array(R);
    const [s0, s1, s2] = this.slots as [Float64Array, Float64Array, Float64Array];
    for (let r = 0; r < R; r++) {
      const lg = this.lossAndGradient(r);
      train[r] = lg.train;
      validation[r] = lg.validation;
      const g = lg.grad;
      const clip = optimiser.clipnorm;
      if (clip !== undefined && clip > 0) {
        let ss = 0;
        for (const x of g) ss += x * x;
        const scale = Math.min(1, clip / Math.max(Math.sqrt(ss), 1e-30));
        for (let p = 0; p < P; p++) g[p]! *= scale;
      }
      for (let p = 0; p < P; p++) {
        const i = r * P + p;
        const gi = g[p]!;
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
        this.params[i]! -= upd;
      }
    }
    return { train, validation };
  }
}
