/**
 * The TF.js training kernel, the numerical reference of kernel.ts: the stack's parameters [S, P],
 * best parameters and optimiser slots are tensors on the active TF.js backend (backend.ts), the
 * gradient comes from autodiff through model/mlp.ts `forward`, and the early-stopping bookkeeping
 * runs on the host from the validation chi2 read back every epoch.
 */

import * as tf from "@tensorflow/tfjs";
import { forward } from "../model/mlp.ts";
import { TrialRng } from "../rng.ts";
import { WhiteningFactors } from "../train/whitening.ts";
import { drawDropoutMasks } from "./dropout.ts";
import type {
  KernelBackend,
  KernelGradient,
  KernelPredictions,
  KernelSpec,
  KernelState,
  TrainingKernel,
} from "./kernel.ts";
import {
  type Context,
  disposeConstants,
  frozenMask,
  headFn,
  MemberStack,
  modelConstants,
} from "./tfjsStack.ts";

const sameSettings = (spec: KernelSpec) => {
  const key = (i: number) => JSON.stringify(spec.members[i]!.settings.optimiser);
  return spec.members.every((_, i) => key(i) === key(0));
};

export class TfjsKernel implements TrainingKernel {
  private stack: MemberStack;
  private epoch = 0;
  /** Early-stopping state and last losses, indexed by member (not position). */
  private readonly bestVal: Float64Array;
  private readonly bestEpoch: Int32Array;
  private readonly stopEpoch: Int32Array;
  private readonly active: Uint8Array;
  private readonly lastTrain: Float32Array;
  private readonly lastVal: Float32Array;
  private readonly rngs: TrialRng[];
  private disposed = false;

  constructor(private readonly ctx: Context) {
    const { spec } = ctx;
    const S = spec.members.length;
    const initT = tf.tensor2d(spec.params, [S, spec.layout.size]);
    this.stack = new MemberStack(
      ctx,
      spec.members.map((_, s) => s),
      initT,
      initT,
    );
    initT.dispose();
    this.bestVal = new Float64Array(S).fill(Number.POSITIVE_INFINITY);
    this.bestEpoch = new Int32Array(S);
    this.stopEpoch = new Int32Array(S);
    this.active = new Uint8Array(S).fill(1);
    this.lastTrain = new Float32Array(S).fill(Number.NaN);
    this.lastVal = new Float32Array(S).fill(Number.NaN);
    this.rngs = spec.members.map((m) => new TrialRng(m.settings.dropoutSeed));
  }

  get size(): number {
    return this.stack.size;
  }

  async step(epochs: number): Promise<void> {
    this.check();
    for (let i = 0; i < epochs; i++) this.epochStep();
  }

  /** One epoch: kernel.ts steps 1–4. */
  private epochStep(): void {
    this.epoch += 1;
    const e = this.epoch;
    const stack = this.stack;
    const members = this.ctx.spec.members;
    tf.tidy(() => {
      const masks = this.dropoutMasks(stack.ids);
      const { grad, train, val, penalty } = stack.step(masks);
      const v = val.dataSync();
      const t = train.dataSync();
      const improved = new Float32Array(stack.size);
      stack.ids.forEach((s, p) => {
        this.lastTrain[s] = t[p]!;
        this.lastVal[s] = v[p]!;
        if (!this.active[s]) return;
        const hasVal = members[s]!.member.validation.length > 0;
        const cur = hasVal ? v[p]! : 0;
        // Without validation points there is nothing to select on: the latest weights are the best.
        if (!hasVal || cur < this.bestVal[s]!) {
          this.bestVal[s] = cur;
          this.bestEpoch[s] = e;
          improved[p] = 1;
        }
      });
      if (improved.some((x) => x === 1)) {
        // m ∈ {0, 1} per member: p·m + b·(1 − m) copies exactly and broadcasts without a Tile
        const m = tf.tensor2d(improved, [stack.size, 1]);
        stack.best.assign(tf.add(tf.mul(stack.params, m), tf.mul(stack.best, tf.sub(1, m))));
      }
      const frozen = this.ctx.frozenMask;
      stack.optimiser.apply(
        stack.params,
        frozen ? (tf.mul(grad, frozen) as tf.Tensor2D) : grad,
        stack.active,
      );
      tf.dispose([train, val, ...(penalty ? [penalty] : [])]);
    });
    let changed = false;
    for (const s of stack.ids) {
      const m = members[s]!;
      // without validation points there is nothing to stop on: such a member trains to max epochs
      if (this.active[s] && m.member.validation.length > 0 && e - this.bestEpoch[s]! >= m.settings.patience) {
        this.active[s] = 0;
        this.stopEpoch[s] = e;
        changed = true;
      }
    }
    if (changed) this.applyActive();
  }

  /** Dropout masks of the stacked members, each from its own stream at its own rate (1 when 0). */
  private dropoutMasks(ids: number[]): tf.Tensor3D[] {
    const { task, arch, members } = this.ctx.spec;
    const rates = ids.map((s) => members[s]!.settings.dropout);
    if (!rates.some((r) => r > 0)) return [];
    const rows = task.modelInputs.length;
    const hidden = arch.hidden;
    const per = rows * hidden.reduce((a, b) => a + b, 0);
    const all = new Float32Array(ids.length * per);
    ids.forEach((s, p) => {
      drawDropoutMasks(this.rngs[s]!, rates[p]!, rows, hidden, all, p * per);
    });
    let at = 0;
    return hidden.map((units) => {
      const data = new Float32Array(ids.length * rows * units);
      for (let p = 0; p < ids.length; p++)
        data.set(all.subarray(p * per + at, p * per + at + rows * units), p * rows * units);
      at += rows * units;
      return tf.tensor3d(data, [ids.length, rows, units]);
    });
  }

  private applyActive(): void {
    this.stack.setActive(this.stack.ids.map((s) => this.active[s] === 1));
  }

  async state(): Promise<KernelState> {
    this.check();
    const ids = this.stack.ids;
    return {
      epoch: this.epoch,
      active: Uint8Array.from(ids, (s) => this.active[s]!),
      bestValidation: Float64Array.from(ids, (s) => this.bestVal[s]!),
      bestEpoch: Int32Array.from(ids, (s) => this.bestEpoch[s]!),
      stopEpoch: Int32Array.from(ids, (s) => this.stopEpoch[s]!),
      train: Float32Array.from(ids, (s) => this.lastTrain[s]!),
      validation: Float32Array.from(ids, (s) => this.lastVal[s]!),
    };
  }

  async readParameters(which: "current" | "best", positions?: number[]): Promise<Float32Array> {
    this.check();
    const P = this.ctx.spec.layout.size;
    const all = (which === "best" ? this.stack.best : this.stack.params).dataSync() as Float32Array;
    if (!positions) return Float32Array.from(all);
    const out = new Float32Array(positions.length * P);
    positions.forEach((p, i) => {
      out.set(all.subarray(p * P, (p + 1) * P), i * P);
    });
    return out;
  }

  async writeParameters(which: "current" | "best", data: Float32Array, positions?: number[]): Promise<void> {
    this.check();
    const P = this.ctx.spec.layout.size;
    const v = which === "best" ? this.stack.best : this.stack.params;
    const all = Float32Array.from(v.dataSync() as Float32Array);
    const at = positions ?? this.stack.ids.map((_, p) => p);
    if (data.length !== at.length * P) throw new Error(`writeParameters: ${data.length} ≠ ${at.length}·${P}`);
    at.forEach((p, i) => {
      all.set(data.subarray(i * P, (i + 1) * P), p * P);
    });
    tf.tidy(() => v.assign(tf.tensor2d(all, [this.stack.size, P])));
  }

  freeze(positions: number[]): void {
    this.check();
    for (const p of positions) this.active[this.stack.ids[p]!] = 0;
    this.applyActive();
  }

  async compact(keep: number[]): Promise<void> {
    this.check();
    this.stack = this.stack.compact(keep);
    this.applyActive();
  }

  async predict(params: Float32Array): Promise<KernelPredictions> {
    this.check();
    const { spec } = this.ctx;
    const { task, arch, layout } = spec;
    const S = params.length / layout.size;
    const GF = task.modelInputs.length * task.nOutputs;
    let predictions = new Float32Array(0);
    let outputs = new Float32Array(0);
    const p = tf.tensor2d(params, [S, layout.size]);
    const consts = modelConstants(spec, S, p);
    try {
      tf.tidy(() => {
        const out = forward(arch, layout, p, consts);
        predictions = Float32Array.from(this.ctx.head.apply(out.reshape([S, GF])).dataSync());
        outputs = Float32Array.from(out.dataSync());
      });
    } finally {
      disposeConstants(consts);
      p.dispose();
    }
    return { predictions, outputs };
  }

  async lossAndGradient(): Promise<KernelGradient> {
    return this.gradientNow();
  }

  /** lossAndGradient, synchronously (train/trainer.ts lossAndGradient). */
  gradientNow(): KernelGradient {
    this.check();
    let out: KernelGradient | undefined;
    tf.tidy(() => {
      const { grad, train, val, penalty } = this.stack.step([]);
      const frozen = this.ctx.frozenMask;
      const g = frozen ? tf.mul(grad, frozen) : grad;
      out = {
        train: Float32Array.from(train.dataSync()),
        validation: Float32Array.from(val.dataSync()),
        penalty: penalty ? Float32Array.from(penalty.dataSync()) : new Float32Array(this.size),
        grad: Float64Array.from(g.dataSync()),
      };
      tf.dispose([train, val, ...(penalty ? [penalty] : [])]);
    });
    return out!;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stack.dispose();
    this.ctx.head.dispose();
    this.ctx.frozenMask?.dispose();
  }

  private check(): void {
    if (this.disposed) throw new Error("TF.js kernel used after dispose()");
  }
}

export function createTfjsKernel(spec: KernelSpec): TfjsKernel {
  const sets = (f: (m: KernelSpec["members"][number]) => number[]) => spec.members.map(f);
  const frozen = frozenMask(spec);
  return new TfjsKernel({
    spec,
    perRow: !sameSettings(spec),
    head: headFn(spec.task),
    trainFactors: new WhiteningFactors(
      spec.task.dataset.cov,
      sets((m) => m.member.train),
    ),
    valFactors: new WhiteningFactors(
      spec.task.dataset.cov,
      sets((m) => m.member.validation),
    ),
    ...(frozen ? { frozenMask: frozen } : {}),
  });
}

/** TF.js on whichever TF.js backend is active (backend.ts selectBackend picks it). */
export const tfjsKernelBackend: KernelBackend = {
  kind: "tfjs",
  maxEpochsPerStep: 1,
  available: async () => true,
  describe: async () => `tfjs (${tf.getBackend()})`,
  create: async (spec) => createTfjsKernel(spec),
};
