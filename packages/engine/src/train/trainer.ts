import * as tf from "@tensorflow/tfjs";
import { foldPoints, pseudoData, trainingSplit } from "../data/replicas.ts";
import { drawDropoutMasks } from "../kernel/dropout.ts";
import {
  type ArchitectureConfig,
  forward,
  initialParameters,
  type ModelConstants,
  type ParameterLayout,
  parameterLayout,
  preprocessingFactor,
} from "../model/mlp.ts";
import { deriveSeed, Rng, Stream } from "../rng.ts";
import type { Task } from "../tasks/task.ts";
import { type OptimiserConfig, StackedOptimiser } from "./optimisers.ts";
import { type Whitener, WhiteningFactors } from "./whitening.ts";

export class TrialPrunedError extends Error {
  constructor(readonly epoch: number) {
    super(`trial pruned at epoch ${epoch}`);
    this.name = "TrialPrunedError";
  }
}

export class TrialCancelledError extends Error {
  constructor(readonly epoch: number) {
    super(`trial cancelled at epoch ${epoch}`);
    this.name = "TrialCancelledError";
  }
}

export interface EnsembleSetup {
  task: Task;
  arch: ArchitectureConfig;
  optimiser: OptimiserConfig;
  seed: number;
  /** Replica indices: each one's seeds (init, split, pseudo-data, dropout) derive from it. */
  replicaIds: number[];
  /** Held-out sub-dataset indices per fold ([[]] = no held-out fold). */
  folds: number[][];
  trainingFraction: number;
  maxEpochs: number;
  /** Epochs without validation improvement before a replica stops. */
  patienceEpochs: number;
  reportEvery: number;
  /** Lagrange multiplier of the positivity penalty on the model outputs; off when absent. */
  positivity?: number;
}

export interface EpochReport {
  epoch: number;
  /** Mean over stacked replicas of the best validation chi2 so far. */
  value: number;
  activeReplicas: number;
}

export interface TrainingOptions {
  // biome-ignore lint/suspicious/noConfusingVoidType: callers return nothing or true (prune)
  onReport?: (r: EpochReport) => void | boolean | Promise<void | boolean>;
  signal?: AbortSignal;
}

/** One stacked member: fold k, replica r. Index s = k · R + i. */
export interface Member {
  fold: number;
  replica: number;
  data: Float64Array;
  train: number[];
  validation: number[];
}

export interface EnsembleFit {
  members: Member[];
  /** Predictions at each member's best weights on all data points, [S][N], float64 copies. */
  predictions: Float64Array[];
  /** Model outputs at best weights on the model rows, [S][G·F] (index g·F + f). */
  outputs: Float64Array[];
  bestValidationChi2: number[];
  bestEpoch: number[];
  epochs: number;
  /** Best parameters per member (flat layout), for tests and re-use. */
  parameters: Float32Array[];
}

export function buildMembers(setup: EnsembleSetup): Member[] {
  const ds = setup.task.dataset;
  const perReplica = setup.replicaIds.map((r) => ({
    r,
    data: setup.task.pseudoData ? pseudoData(ds, setup.seed, r) : Float64Array.from(ds.central),
    split: trainingSplit(ds, setup.seed, r, setup.trainingFraction),
  }));
  const members: Member[] = [];
  setup.folds.forEach((heldOut, k) => {
    const out = new Set(foldPoints(ds, heldOut));
    for (const { r, data, split } of perReplica) {
      const train: number[] = [];
      const validation: number[] = [];
      for (let i = 0; i < ds.nPoints; i++) {
        if (out.has(i)) continue;
        (split[i] ? train : validation).push(i);
      }
      members.push({ fold: k, replica: r, data, train, validation });
    }
  });
  return members;
}

function whitenedChi2(residual: tf.Tensor2D, w: Whitener, invCount: tf.Tensor1D): tf.Tensor1D {
  return tf.mul(w.apply(residual), invCount) as tf.Tensor1D;
}

/**
 * Model constants for S members. With fixed preprocessing exponents the factor x^α (1−x)^β is
 * computed once from `params` instead of every epoch.
 */
function modelConstants(
  task: Task,
  S: number,
  fixed?: { ctx: Context; params: tf.Tensor2D },
): ModelConstants {
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
    const arch = fixed?.ctx.arch;
    if (fixed && arch?.preprocessing && !arch.preprocessing.trainable)
      c.prefactor = tf.tidy(() =>
        preprocessingFactor(
          arch,
          fixed.ctx.layout,
          fixed.params,
          c.logX as tf.Tensor3D,
          c.log1mX as tf.Tensor3D,
        ),
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

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Shrink the stack when at most this fraction of its members is still training. */
const compactBelow = 0.6;

/** Per-member settings that may differ between the trials of a pack. */
interface MemberSettings {
  optimiser: OptimiserConfig;
  dropout: number;
  positivity: number;
}

interface Context {
  task: Task;
  /** The shared architecture (dropout rate and initializer are per member: see `settings`). */
  arch: ArchitectureConfig;
  /** The optimiser kind shared by every member. */
  optimiser: OptimiserConfig;
  /** Per member; with `perRow` the optimiser takes learning rate, clipnorm, momentum per row. */
  settings: MemberSettings[];
  perRow: boolean;
  layout: ParameterLayout;
  members: Member[];
  head: ReturnType<typeof headFn>;
  trainFactors: WhiteningFactors;
  valFactors: WhiteningFactors;
  /** [1, P]: 0 on parameters kept fixed (preprocessing exponents when not trainable). */
  frozenMask?: tf.Tensor2D;
}

function frozenMask(arch: ArchitectureConfig, layout: ParameterLayout): tf.Tensor2D | undefined {
  if (!arch.preprocessing || arch.preprocessing.trainable || layout.alpha === undefined) return undefined;
  return tf.tensor2d(new Float32Array(layout.size).fill(1).fill(0, layout.alpha), [1, layout.size]);
}

/**
 * The tensors of the members still in the stack (position p holds member `ids[p]`). Stopped members
 * keep their frozen row until the stack is compacted, which only gathers rows: each remaining
 * member's numbers are unchanged.
 */
class MemberStack {
  readonly params: tf.Variable;
  readonly best: tf.Variable;
  readonly optimiser: StackedOptimiser;
  private readonly parts: {
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
    const { task, members, settings } = ctx;
    const S = ids.length;
    const n = task.dataset.nPoints;
    this.params = tf.variable(params, true);
    this.best = tf.variable(best, false);
    this.optimiser =
      optimiser ??
      new StackedOptimiser(
        ctx.optimiser,
        [S, ctx.layout.size],
        ctx.perRow ? ids.map((s) => settings[s]!.optimiser) : undefined,
      );
    const sel = ids.map((s) => members[s]!);
    const lambda = ids.map((s) => settings[s]!.positivity);
    this.parts = {
      data: tf.tensor2d(Float32Array.from(sel.flatMap((m) => Array.from(m.data))), [S, n]),
      consts: modelConstants(task, S, { ctx, params }),
      wTrain: ctx.trainFactors.tensors(ids),
      wVal: ctx.valFactors.tensors(ids),
      invTrain: tf.tensor1d(sel.map((m) => 1 / Math.max(1, m.train.length))),
      invVal: tf.tensor1d(sel.map((m) => 1 / Math.max(1, m.validation.length))),
      ...(lambda.some((l) => l > 0) ? { positivity: tf.tensor3d(lambda, [S, 1, 1]) } : {}),
    };
    this.active = tf.ones([S, 1]);
  }

  get size(): number {
    return this.ids.length;
  }

  predict(p: tf.Tensor2D, masks?: tf.Tensor3D[]): { out: tf.Tensor3D; pred: tf.Tensor2D } {
    const { arch, task } = this.ctx;
    const out = forward(arch, this.ctx.layout, p, this.parts.consts, masks);
    return {
      out,
      pred: this.ctx.head.apply(out.reshape([this.size, task.modelInputs.length * task.nOutputs])),
    };
  }

  /** Loss and gradient at the current parameters, plus validation chi2 per position (pre-step). */
  step(masks: tf.Tensor3D[]): { grad: tf.Tensor2D; val: tf.Tensor1D } {
    const { data, wTrain, wVal, invTrain, invVal, positivity } = this.parts;
    let val: tf.Tensor1D | null = null;
    const { grad } = tf.valueAndGrad((p: tf.Tensor2D) => {
      const { out, pred } = this.predict(p, masks);
      const resid = tf.sub(pred, data) as tf.Tensor2D;
      if (masks.length === 0) val = tf.keep(whitenedChi2(resid, wVal, invVal));
      let loss = tf.sum(whitenedChi2(resid, wTrain, invTrain));
      // λ_s per member (0 for members without the penalty contributes an exact zero gradient)
      if (positivity) loss = tf.add(loss, tf.sum(tf.mul(tf.relu(tf.neg(out)), positivity)));
      return loss as tf.Scalar;
    })(this.params as unknown as tf.Tensor2D);
    // with dropout the validation forward pass runs without the masks
    if (val === null)
      val = whitenedChi2(
        tf.sub(this.predict(this.params as unknown as tf.Tensor2D).pred, data) as tf.Tensor2D,
        wVal,
        invVal,
      );
    return { grad: grad as tf.Tensor2D, val };
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

/** Per-member early-stopping bookkeeping (indexed by member, not by stack position). */
class StoppingState {
  readonly bestVal: number[];
  readonly bestEpoch: number[];
  readonly active: boolean[];
  constructor(
    private readonly members: Member[],
    /** Per member (the trials of a pack may differ). */
    private readonly patience: number[],
  ) {
    const S = members.length;
    this.bestVal = new Array<number>(S).fill(Number.POSITIVE_INFINITY);
    this.bestEpoch = new Array<number>(S).fill(0);
    this.active = new Array<boolean>(S).fill(true);
  }

  /** Record this epoch's validation chi2; returns per position whether the member improved. */
  observe(ids: number[], val: ArrayLike<number>, epoch: number): Uint8Array {
    const improved = new Uint8Array(ids.length);
    ids.forEach((s, p) => {
      if (!this.active[s]) return;
      const hasVal = this.members[s]!.validation.length > 0;
      const cur = hasVal ? val[p]! : 0;
      // Without validation points there is nothing to select on: the latest weights are the best.
      if (!hasVal || cur < this.bestVal[s]!) {
        this.bestVal[s] = cur;
        this.bestEpoch[s] = epoch;
        improved[p] = 1;
      }
    });
    return improved;
  }

  /** Stop members without improvement for their patience. */
  stopStale(epoch: number): void {
    this.members.forEach((m, s) => {
      // without validation points there is nothing to stop on: such a member trains to max epochs
      if (this.active[s] && m.validation.length > 0 && epoch - this.bestEpoch[s]! >= this.patience[s]!)
        this.active[s] = false;
    });
  }

  /** Stop these members (their trial reached its epoch limit, was pruned or cancelled). */
  deactivate(ids: number[]): void {
    for (const s of ids) this.active[s] = false;
  }

  activeCount(ids: number[]): number {
    return ids.filter((s) => this.active[s]).length;
  }

  meanBest(ids: number[]): number {
    const finite = ids.map((s) => this.bestVal[s]!).filter(Number.isFinite);
    return finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length);
  }
}

/** Train K folds × R replicas stacked on one axis, with per-member early stopping. */
export function trainEnsemble(setup: EnsembleSetup, opts: TrainingOptions = {}): Promise<EnsembleFit> {
  return trainPacked([{ setup, opts }])[0]!;
}

/** One trial of a pack: its ensemble and its own reports, pruning and cancellation. */
export interface PackedTrial {
  setup: EnsembleSetup;
  opts?: TrainingOptions;
}

/** Why two setups cannot share one program; undefined when they can. */
export function packConflict(a: EnsembleSetup, b: EnsembleSetup): string | undefined {
  if (a.task !== b.task) return "different tasks";
  const shape = (s: EnsembleSetup) =>
    JSON.stringify([
      s.arch.inputDim,
      s.arch.hidden,
      s.arch.outputDim,
      s.arch.activation,
      s.arch.preprocessing,
    ]);
  if (shape(a) !== shape(b)) return "different architectures";
  if (a.optimiser.name !== b.optimiser.name) return "different optimisers";
  return undefined;
}

/** Stacked members of a setup (folds × replicas). */
export function memberCount(setup: EnsembleSetup): number {
  return setup.folds.length * setup.replicaIds.length;
}

interface PackState {
  setup: EnsembleSetup;
  opts: TrainingOptions;
  /** Member indices of this trial in the pack, in buildMembers order. */
  ids: number[];
  running: boolean;
  resolve: (fit: EnsembleFit) => void;
  reject: (err: unknown) => void;
}

/**
 * Train several trials with the same task, architecture (layer sizes, activation) and optimiser kind
 * as one stacked program: their members (folds × replicas each) share the [S, P] parameters, one
 * forward/backward pass and one optimiser step per epoch. Everything else is per member: seeds,
 * replicas, folds, training fraction, initializer, dropout rate, learning rate, clipnorm, momentum,
 * positivity, patience, maximum epochs. Each trial reports, is pruned or cancelled on its own (its
 * members are frozen and leave the stack; the others go on unchanged), and its promise settles as
 * soon as its own members have stopped, with the fit it would get trained alone (same seeds → same
 * numbers to float32 rounding of the batched kernels).
 */
export function trainPacked(trials: PackedTrial[]): Promise<EnsembleFit>[] {
  if (trials.length === 0) return [];
  const first = trials[0]!.setup;
  for (const t of trials.slice(1)) {
    const why = packConflict(first, t.setup);
    if (why) throw new Error(`trainPacked: ${why}`);
  }
  const states: PackState[] = [];
  const promises = trials.map(
    (t) =>
      new Promise<EnsembleFit>((resolve, reject) => {
        states.push({ setup: t.setup, opts: t.opts ?? {}, ids: [], running: true, resolve, reject });
      }),
  );
  // One trial's rejection (pruned, cancelled) is its caller's to handle whenever it awaits that
  // trial; it must not surface as an unhandled rejection while the caller awaits another one.
  for (const p of promises) p.catch(() => undefined);
  void yieldToEventLoop()
    .then(() => runPack(states))
    .catch((err: unknown) => {
      for (const t of states) if (t.running) t.reject(err);
    });
  return promises;
}

async function runPack(trials: PackState[]): Promise<void> {
  const { task, arch, optimiser } = trials[0]!.setup;
  const members: Member[] = [];
  const settings: MemberSettings[] = [];
  const patience: number[] = [];
  const dropoutRngs: Rng[] = [];
  const init: Float32Array[] = [];
  const layout = parameterLayout(arch);
  const P = layout.size;
  for (const t of trials) {
    const { setup } = t;
    for (const m of buildMembers(setup)) {
      t.ids.push(members.length);
      members.push(m);
      settings.push({
        optimiser: setup.optimiser,
        dropout: setup.arch.dropout,
        positivity: setup.positivity ?? 0,
      });
      patience.push(setup.patienceEpochs);
      dropoutRngs.push(new Rng(deriveSeed(setup.seed, Stream.dropout, m.replica, m.fold)));
      init.push(initialParameters(setup.arch, layout, setup.seed, m.replica));
    }
  }
  const S = members.length;
  const ctx: Context = {
    task,
    arch,
    optimiser,
    settings,
    perRow: trials.length > 1,
    layout,
    members,
    head: headFn(task),
    trainFactors: new WhiteningFactors(
      task.dataset.cov,
      members.map((m) => m.train),
    ),
    valFactors: new WhiteningFactors(
      task.dataset.cov,
      members.map((m) => m.validation),
    ),
    frozenMask: frozenMask(arch, layout),
  };
  const flat = new Float32Array(S * P);
  init.forEach((p, s) => {
    flat.set(p, s * P);
  });
  const initT = tf.tensor2d(flat, [S, P]);
  let stack = new MemberStack(
    ctx,
    members.map((_, s) => s),
    initT,
    initT,
  );
  initT.dispose();
  const finalBest = new Float32Array(S * P);
  const stop = new StoppingState(members, patience);
  let applied = stack.ids.map(() => true);
  let epoch = 0;
  let lastYield = performance.now();

  // a trial that ended leaves only frozen rows: they go at the next compaction
  let trialEnded = false;
  const end = (t: PackState, outcome: { fit: EnsembleFit } | { error: unknown }) => {
    t.running = false;
    trialEnded = true;
    stop.deactivate(t.ids);
    if ("fit" in outcome) t.resolve(outcome.fit);
    else t.reject(outcome.error);
  };

  try {
    for (;;) {
      for (const t of trials)
        if (t.running && t.opts.signal?.aborted) end(t, { error: new TrialCancelledError(epoch) });
      const running = trials.filter((t) => t.running);
      if (running.length === 0) break;
      epoch += 1;
      trainEpoch(stack, stop, epoch, dropoutRngs);
      stop.stopStale(epoch);
      for (const t of running) if (epoch >= t.setup.maxEpochs) stop.deactivate(t.ids);
      // report every n epochs, and once more when early stopping ends training between reports
      await Promise.all(
        running.map(async (t) => {
          const active = stop.activeCount(t.ids);
          const last = epoch === t.setup.maxEpochs || active === 0;
          if (!t.opts.onReport || !(epoch % t.setup.reportEvery === 0 || last)) return;
          try {
            const prune = await t.opts.onReport({
              epoch,
              value: stop.meanBest(t.ids),
              activeReplicas: active,
            });
            if (prune === true) end(t, { error: new TrialPrunedError(epoch) });
          } catch (err) {
            end(t, { error: err });
          }
        }),
      );
      const finished = running.filter((t) => t.running && stop.activeCount(t.ids) === 0);
      if (finished.length > 0) {
        const done = new Set(finished.flatMap((t) => t.ids));
        saveBest(stack, finalBest, P, (p) => done.has(stack.ids[p]!));
        for (const t of finished) {
          if (t.opts.signal?.aborted) end(t, { error: new TrialCancelledError(epoch) });
          else end(t, { fit: trialFit(ctx, t.ids, finalBest, stop, epoch) });
        }
      }
      // the last trial has ended: release everything before its caller resumes
      if (!trials.some((t) => t.running)) break;
      const flags = stack.ids.map((s) => stop.active[s]!);
      if (flags.some((a, p) => a !== applied[p])) {
        const keep = flags.flatMap((a, p) => (a ? [p] : []));
        if (keep.length > 0 && (trialEnded || keep.length <= compactBelow * stack.size)) {
          saveBest(stack, finalBest, P, (p) => !flags[p]);
          stack = stack.compact(keep);
          applied = keep.map(() => true);
          trialEnded = false;
        } else {
          stack.setActive(flags);
          applied = flags;
        }
      }
      if (performance.now() - lastYield > 25) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
  } finally {
    stack.dispose();
    ctx.head.dispose();
    ctx.frozenMask?.dispose();
  }
}

/** One trial's fit from the members `ids` (its best parameters are in `best`, indexed by member). */
function trialFit(
  ctx: Context,
  ids: number[],
  best: Float32Array,
  stop: StoppingState,
  epochs: number,
): EnsembleFit {
  const P = ctx.layout.size;
  const parameters = ids.map((s) => best.slice(s * P, (s + 1) * P));
  const own = new Float32Array(ids.length * P);
  parameters.forEach((p, i) => {
    own.set(p, i * P);
  });
  return {
    members: ids.map((s) => ctx.members[s]!),
    ...finalPredictions(ctx, own, ids.length),
    bestValidationChi2: ids.map((s) => stop.bestVal[s]!),
    bestEpoch: ids.map((s) => stop.bestEpoch[s]!),
    epochs,
    parameters,
  };
}

/** Dropout masks of the stacked members, each from its own stream at its own rate (1 when 0). */
function memberDropoutMasks(ctx: Context, ids: number[], rngs: Rng[]): tf.Tensor3D[] {
  const rates = ids.map((s) => ctx.settings[s]!.dropout);
  if (!rates.some((r) => r > 0)) return [];
  const rows = ctx.task.modelInputs.length;
  const hidden = ctx.arch.hidden;
  const per = rows * hidden.reduce((a, b) => a + b, 0);
  const all = new Float32Array(ids.length * per);
  ids.forEach((s, p) => {
    drawDropoutMasks(rngs[s]!, rates[p]!, rows, hidden, all, p * per);
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

function trainEpoch(stack: MemberStack, stop: StoppingState, epoch: number, rngs: Rng[]): void {
  tf.tidy(() => {
    const masks = memberDropoutMasks(stack.ctx, stack.ids, rngs);
    const { grad, val } = stack.step(masks);
    const improved = stop.observe(stack.ids, val.dataSync(), epoch);
    if (improved.some((v) => v === 1)) {
      // m ∈ {0, 1} per member: p·m + b·(1 − m) copies exactly and broadcasts without a Tile
      const m = tf.tensor2d(Float32Array.from(improved), [stack.size, 1]);
      stack.best.assign(tf.add(tf.mul(stack.params, m), tf.mul(stack.best, tf.sub(1, m))));
    }
    const frozen = stack.ctx.frozenMask;
    stack.optimiser.apply(stack.params, frozen ? (tf.mul(grad, frozen) as tf.Tensor2D) : grad, stack.active);
    tf.dispose(val);
  });
}

/** Copy best parameters of the selected stack positions to the CPU store (indexed by member). */
function saveBest(stack: MemberStack, store: Float32Array, P: number, which: (p: number) => boolean): void {
  const bd = stack.best.dataSync();
  stack.ids.forEach((s, p) => {
    if (which(p)) store.set(bd.subarray(p * P, (p + 1) * P), s * P);
  });
}

/** Predictions and model outputs of S members at their best weights `best` ([S·P], one forward pass). */
function finalPredictions(
  ctx: Context,
  best: Float32Array,
  S: number,
): Pick<EnsembleFit, "predictions" | "outputs"> {
  const { task, arch } = ctx;
  const n = task.dataset.nPoints;
  const GF = task.modelInputs.length * task.nOutputs;
  let pd: Float32Array<ArrayBufferLike> = new Float32Array(0);
  let od: Float32Array<ArrayBufferLike> = new Float32Array(0);
  const bestT = tf.tensor2d(best, [S, ctx.layout.size]);
  const consts = modelConstants(task, S, { ctx, params: bestT });
  tf.tidy(() => {
    const out = forward(arch, ctx.layout, bestT, consts);
    pd = ctx.head.apply(out.reshape([S, GF])).dataSync() as Float32Array;
    od = out.dataSync() as Float32Array;
  });
  disposeConstants(consts);
  bestT.dispose();
  return {
    predictions: Array.from({ length: S }, (_, s) => Float64Array.from(pd.subarray(s * n, (s + 1) * n))),
    outputs: Array.from({ length: S }, (_, s) => Float64Array.from(od.subarray(s * GF, (s + 1) * GF))),
  };
}

/**
 * The batched training loss Σ_s chi2_train,s (+ positivity) and its gradient at given parameters
 * ([S][P] rows, member order of buildMembers), through the same graph the trainer steps with.
 */
export function lossAndGradient(
  setup: EnsembleSetup,
  params: Float32Array,
): { loss: number; grad: Float32Array } {
  const members = buildMembers(setup);
  const layout = parameterLayout(setup.arch);
  const ctx: Context = {
    task: setup.task,
    arch: setup.arch,
    optimiser: setup.optimiser,
    settings: members.map(() => ({
      optimiser: setup.optimiser,
      dropout: setup.arch.dropout,
      positivity: setup.positivity ?? 0,
    })),
    perRow: false,
    layout,
    members,
    head: headFn(setup.task),
    trainFactors: new WhiteningFactors(
      setup.task.dataset.cov,
      members.map((m) => m.train),
    ),
    valFactors: new WhiteningFactors(
      setup.task.dataset.cov,
      members.map((m) => m.validation),
    ),
  };
  const p = tf.tensor2d(params, [members.length, layout.size]);
  const stack = new MemberStack(
    ctx,
    members.map((_, s) => s),
    p,
    p,
  );
  p.dispose();
  try {
    return tf.tidy(() => {
      const { data, wTrain, invTrain } = stack["parts"];
      const { value, grad } = tf.valueAndGrad((q: tf.Tensor2D) => {
        const { out, pred } = stack.predict(q, []);
        let loss = tf.sum(whitenedChi2(tf.sub(pred, data) as tf.Tensor2D, wTrain, invTrain));
        if (setup.positivity) loss = tf.add(loss, tf.mul(tf.sum(tf.relu(tf.neg(out))), setup.positivity));
        return loss as tf.Scalar;
      })(stack.params as unknown as tf.Tensor2D);
      return { loss: value.dataSync()[0]!, grad: Float32Array.from(grad.dataSync()) };
    }) as unknown as { loss: number; grad: Float32Array };
  } finally {
    stack.dispose();
    ctx.head.dispose();
  }
}
