/**
 * The TF.js training kernel, the numerical reference of kernel.ts: the stack's parameters [S, P],
 * best parameters and optimiser slots are tensors on the active TF.js backend (backend.ts), the
 * gradient comes from autodiff through model/mlp.ts `forward`, and the early-stopping bookkeeping
 * runs on the host from the validation chi2 read back every epoch.
 */

import * as tf from "@tensorflow/tfjs";
import { forward, type ModelConstants, preprocessingFactor } from "../model/mlp.ts";
import { TrialRng } from "../rng.ts";
import type { Task } from "../tasks/task.ts";
import { StackedOptimiser } from "../train/optimisers.ts";
import { type Whitener, WhiteningFactors } from "../train/whitening.ts";
import { drawDropoutMasks } from "./dropout.ts";
import type {
  KernelBackend,
  KernelGradient,
  KernelPredictions,
  KernelSpec,
  KernelState,
  TrainingKernel,
} from "./kernel.ts";

function whitenedChi2(residual: tf.Tensor2D, w: Whitener, invCount: tf.Tensor1D): tf.Tensor1D {
  return tf.mul(w.apply(residual), invCount) as tf.Tensor1D;
}

/**
 * Model constants for S parameter rows. With fixed preprocessing exponents the factor x^α (1−x)^β is
 * computed once from `params` instead of every epoch.
 */
function modelConstants(spec: KernelSpec, S: number, params: tf.Tensor2D): ModelConstants {
  const { task, arch, layout } = spec;
  const G = task.modelInputs.length;
  const d = task.modelInputs[0]!.length;
  const rows = tf.tensor3d(Float32Array.from(task.modelInputs.flat()), [1, G, d]);
  const c: ModelConstants = { inputs: tf.tile(rows, [S, 1, 1]) as tf.Tensor3D };
  rows.dispose();
  if (task.preprocessing) {
    const x = task.preprocessing.x;
    c.logX = tf.tensor3d(
      Float32Array.from(x, (v) => Math.log(v)),
      [1, G, 1],
    );
    c.log1mX = tf.tensor3d(
      Float32Array.from(x, (v) => Math.log(1 - v)),
      [1, G, 1],
    );
    if (arch.preprocessing && !arch.preprocessing.trainable)
      c.prefactor = tf.tidy(() =>
        preprocessingFactor(arch, layout, params, c.logX as tf.Tensor3D, c.log1mX as tf.Tensor3D),
      );
  }
  return c;
}

function disposeConstants(c: ModelConstants): void {
  tf.dispose([c.inputs, ...[c.logX, c.log1mX, c.prefactor].filter((t): t is tf.Tensor3D => t !== undefined)]);
}

/** Head: model outputs [S, G·F] → predictions [S, N]. */
function headFn(task: Task): { apply: (flat: tf.Tensor2D) => tf.Tensor2D; dispose: () => void } {
  const n = task.dataset.nPoints;
  if (task.head.kind === "fk") {
    const gf = task.head.fk.length / n;
    const fkT = new Float32Array(gf * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < gf; j++) fkT[j * n + i] = task.head.fk[i * gf + j]!;
    const t = tf.tensor2d(fkT, [gf, n]);
    return { apply: (flat) => tf.matMul(flat, t), dispose: () => t.dispose() };
  }
  // Each model output feeds at most one point, so the gather's gradient is the inverse gather
  // (the wasm backend lacks UnsortedSegmentSum, which tfjs's generic gather gradient needs).
  const gf = task.modelInputs.length * task.nOutputs;
  const inv = new Int32Array(gf).fill(n);
  task.head.index.forEach((j, i) => {
    if (inv[j] !== n) throw new Error(`head: model output ${j} feeds more than one point`);
    inv[j] = i;
  });
  const idx = tf.tensor1d(task.head.index, "int32");
  const invT = tf.tensor1d(inv, "int32");
  const select = tf.customGrad(((flat: tf.Tensor) => ({
    value: tf.gather(flat, idx, 1),
    gradFunc: (dy: tf.Tensor) => tf.gather(tf.concat([dy, tf.zeros([dy.shape[0]!, 1])], 1), invT, 1),
  })) as Parameters<typeof tf.customGrad>[0]);
  return { apply: (flat) => select(flat) as tf.Tensor2D, dispose: () => tf.dispose([idx, invT]) };
}

/** What every stack of one kernel shares. */
interface Context {
  spec: KernelSpec;
  /** With differing per-member settings the optimiser takes learning rate, clipnorm, momentum per row. */
  perRow: boolean;
  head: ReturnType<typeof headFn>;
  trainFactors: WhiteningFactors;
  valFactors: WhiteningFactors;
  /** [1, P]: 0 on parameters kept fixed (preprocessing exponents when not trainable). */
  frozenMask?: tf.Tensor2D;
}

function frozenMask(spec: KernelSpec): tf.Tensor2D | undefined {
  const { arch, layout } = spec;
  if (!arch.preprocessing || arch.preprocessing.trainable || layout.alpha === undefined) return undefined;
  return tf.tensor2d(new Float32Array(layout.size).fill(1).fill(0, layout.alpha), [1, layout.size]);
}

/**
 * The tensors of the members in the stack (position p holds member `ids[p]`). Stopped members keep
 * their frozen row until the stack is compacted, which only gathers rows: each remaining member's
 * numbers are unchanged.
 */
class MemberStack {
  readonly params: tf.Variable;
  readonly best: tf.Variable;
  readonly optimiser: StackedOptimiser;
  readonly parts: {
    data: tf.Tensor2D;
    consts: ModelConstants;
    wTrain: Whitener;
    wVal: Whitener;
    invTrain: tf.Tensor1D;
    invVal: tf.Tensor1D;
    /** Positivity multiplier per member, [S, 1, 1]; absent when no member has the penalty. */
    positivity?: tf.Tensor3D;
  };
  active: tf.Tensor2D;

  constructor(
    readonly ctx: Context,
    readonly ids: number[],
    params: tf.Tensor2D,
    best: tf.Tensor2D,
    optimiser?: StackedOptimiser,
  ) {
    const { spec } = ctx;
    const S = ids.length;
    const n = spec.task.dataset.nPoints;
    this.params = tf.variable(params, true);
    this.best = tf.variable(best, false);
    const sel = ids.map((s) => spec.members[s]!);
    this.optimiser =
      optimiser ??
      new StackedOptimiser(
        { ...sel[0]!.settings.optimiser, name: spec.optimiser },
        [S, spec.layout.size],
        ctx.perRow ? sel.map((m) => m.settings.optimiser) : undefined,
      );
    const lambda = sel.map((m) => m.settings.positivity);
    this.parts = {
      data: tf.tensor2d(Float32Array.from(sel.flatMap((m) => Array.from(m.member.data))), [S, n]),
      consts: modelConstants(spec, S, params),
      wTrain: ctx.trainFactors.tensors(ids),
      wVal: ctx.valFactors.tensors(ids),
      invTrain: tf.tensor1d(sel.map((m) => 1 / Math.max(1, m.member.train.length))),
      invVal: tf.tensor1d(sel.map((m) => 1 / Math.max(1, m.member.validation.length))),
      ...(lambda.some((l) => l > 0) ? { positivity: tf.tensor3d(lambda, [S, 1, 1]) } : {}),
    };
    this.active = tf.ones([S, 1]);
  }

  get size(): number {
    return this.ids.length;
  }

  predict(p: tf.Tensor2D, masks?: tf.Tensor3D[]): { out: tf.Tensor3D; pred: tf.Tensor2D } {
    const { spec } = this.ctx;
    const out = forward(spec.arch, spec.layout, p, this.parts.consts, masks);
    return {
      out,
      pred: this.ctx.head.apply(out.reshape([this.size, spec.task.modelInputs.length * spec.task.nOutputs])),
    };
  }

  /**
   * Gradient of Σ_s (chi2_train,s + λ_s penalty_s) at the current parameters, with the per-member
   * training chi2 and (without the masks) validation chi2 and penalty, all pre-step.
   */
  step(masks: tf.Tensor3D[]): {
    grad: tf.Tensor2D;
    train: tf.Tensor1D;
    val: tf.Tensor1D;
    penalty?: tf.Tensor1D;
  } {
    const { data, wTrain, wVal, invTrain, invVal, positivity } = this.parts;
    let val: tf.Tensor1D | null = null;
    let train: tf.Tensor1D | null = null;
    let penalty: tf.Tensor1D | undefined;
    const { grad } = tf.valueAndGrad((p: tf.Tensor2D) => {
      const { out, pred } = this.predict(p, masks);
      const resid = tf.sub(pred, data) as tf.Tensor2D;
      if (masks.length === 0) val = tf.keep(whitenedChi2(resid, wVal, invVal));
      const chi2 = tf.keep(whitenedChi2(resid, wTrain, invTrain));
      train = chi2;
      let loss = tf.sum(chi2);
      // λ_s per member (0 for members without the penalty contributes an exact zero gradient)
      if (positivity) {
        const neg = tf.relu(tf.neg(out));
        if (masks.length === 0) penalty = tf.keep(tf.sum(neg, [1, 2]) as tf.Tensor1D);
        loss = tf.add(loss, tf.sum(tf.mul(neg, positivity)));
      }
      return loss as tf.Scalar;
    })(this.params as unknown as tf.Tensor2D);
    // with dropout the validation forward pass runs without the masks
    if (val === null)
      val = whitenedChi2(
        tf.sub(this.predict(this.params as unknown as tf.Tensor2D).pred, data) as tf.Tensor2D,
        wVal,
        invVal,
      );
    return { grad: grad as tf.Tensor2D, train: train!, val, ...(penalty ? { penalty } : {}) };
  }

  setActive(flags: boolean[]): void {
    this.active.dispose();
    this.active = tf.tensor2d(
      Float32Array.from(flags, (a) => (a ? 1 : 0)),
      [this.size, 1],
    );
  }

  /** A new stack with only the given positions; this one is disposed (optimiser state moves over). */
  compact(positions: number[]): MemberStack {
    const pos = tf.tensor1d(positions, "int32");
    const params = tf.gather(this.params, pos, 0) as tf.Tensor2D;
    const best = tf.gather(this.best, pos, 0) as tf.Tensor2D;
    this.optimiser.select(pos);
    pos.dispose();
    const next = new MemberStack(
      this.ctx,
      positions.map((p) => this.ids[p]!),
      params,
      best,
      this.optimiser,
    );
    tf.dispose([params, best]);
    this.dispose(false);
    return next;
  }

  dispose(withOptimiser = true): void {
    const p = this.parts;
    p.wTrain.dispose();
    p.wVal.dispose();
    tf.dispose([this.params, this.best, this.active, p.data, p.invTrain, p.invVal]);
    p.positivity?.dispose();
    disposeConstants(p.consts);
    if (withOptimiser) this.optimiser.dispose();
  }
}

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
