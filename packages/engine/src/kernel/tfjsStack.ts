/**
 * The TF.js kernel's tensors (kernel/tfjs.ts): the stacked members' parameters, best parameters,
 * optimiser, data, whitening and model constants on the active TF.js backend, and the batched loss
 * and gradient through model/mlp.ts `forward` (autodiff).
 */

import * as tf from "@tensorflow/tfjs";
import { forward, type ModelConstants, preprocessingFactor } from "../model/mlp.ts";
import type { Task } from "../tasks/task.ts";
import { StackedOptimiser } from "../train/optimisers.ts";
import type { Whitener, WhiteningFactors } from "../train/whitening.ts";
import type { KernelSpec } from "./kernel.ts";

function whitenedChi2(residual: tf.Tensor2D, w: Whitener, invCount: tf.Tensor1D): tf.Tensor1D {
  return tf.mul(w.apply(residual), invCount) as tf.Tensor1D;
}

/**
 * Model constants for S parameter rows. With fixed preprocessing exponents the factor x^α (1−x)^β is
 * computed once from `params` instead of every epoch.
 */
export function modelConstants(spec: KernelSpec, S: number, params: tf.Tensor2D): ModelConstants {
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

export function disposeConstants(c: ModelConstants): void {
  tf.dispose([c.inputs, ...[c.logX, c.log1mX, c.prefactor].filter((t): t is tf.Tensor3D => t !== undefined)]);
}

/** Head: model outputs [S, G·F] → predictions [S, N]. */
export function headFn(task: Task): { apply: (flat: tf.Tensor2D) => tf.Tensor2D; dispose: () => void } {
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
export interface Context {
  spec: KernelSpec;
  /** With differing per-member settings the optimiser takes learning rate, clipnorm, momentum per row. */
  perRow: boolean;
  head: ReturnType<typeof headFn>;
  trainFactors: WhiteningFactors;
  valFactors: WhiteningFactors;
  /** [1, P]: 0 on parameters kept fixed (preprocessing exponents when not trainable). */
  frozenMask?: tf.Tensor2D;
}

export function frozenMask(spec: KernelSpec): tf.Tensor2D | undefined {
  const { arch, layout } = spec;
  if (!arch.preprocessing || arch.preprocessing.trainable || layout.alpha === undefined) return undefined;
  return tf.tensor2d(new Float32Array(layout.size).fill(1).fill(0, layout.alpha), [1, layout.size]);
}

/**
 * The tensors of the members in the stack (position p holds member `ids[p]`). Stopped members keep
 * their frozen row until the stack is compacted, which only gathers rows: each remaining member's
 * numbers are unchanged.
 */
export class MemberStack {
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
