import * as tf from "@tensorflow/tfjs";
import { foldPoints, pseudoData, trainingSplit } from "../data/replicas.ts";
import {
  type ArchitectureConfig,
  dropoutMasks,
  forward,
  initialParameters,
  type ModelConstants,
  parameterLayout,
} from "../model/mlp.ts";
import { deriveSeed, Rng, Stream } from "../rng.ts";
import type { Task } from "../tasks/task.ts";
import { type OptimiserConfig, StackedOptimiser } from "./optimisers.ts";
import { buildWhitener, type Whitener } from "./whitening.ts";

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

function modelConstants(task: Task, S: number): ModelConstants {
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
  }
  return c;
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
  const idx = tf.tensor1d(task.head.index, "int32");
  return { apply: (flat) => tf.gather(flat, idx, 1) as tf.Tensor2D, dispose: () => idx.dispose() };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Train K folds × R replicas stacked on one axis, with per-member early stopping. */
export async function trainEnsemble(setup: EnsembleSetup, opts: TrainingOptions = {}): Promise<EnsembleFit> {
  const { task, arch } = setup;
  const members = buildMembers(setup);
  const S = members.length;
  const n = task.dataset.nPoints;
  const G = task.modelInputs.length;
  const F = task.nOutputs;
  const layout = parameterLayout(arch);
  const P = layout.size;

  const init = new Float32Array(S * P);
  members.forEach((m, s) => {
    init.set(initialParameters(arch, layout, setup.seed, m.replica), s * P);
  });
  const params = tf.variable(tf.tensor2d(init, [S, P]), true);
  const best = tf.variable(params.clone(), false);
  const optimiser = new StackedOptimiser(setup.optimiser, [S, P]);
  const consts = modelConstants(task, S);
  const head = headFn(task);
  const dataT = tf.tensor2d(Float32Array.from(members.flatMap((m) => Array.from(m.data))), [S, n]);
  const wTrain = buildWhitener(
    task.dataset.cov,
    members.map((m) => m.train),
  );
  const wVal = buildWhitener(
    task.dataset.cov,
    members.map((m) => m.validation),
  );
  const invTrain = tf.tensor1d(members.map((m) => 1 / Math.max(1, m.train.length)));
  const invVal = tf.tensor1d(members.map((m) => 1 / Math.max(1, m.validation.length)));
  const hasVal = members.map((m) => m.validation.length > 0);
  const dropoutRngs = members.map((m) => new Rng(deriveSeed(setup.seed, Stream.dropout, m.replica, m.fold)));
  let activeT = tf.ones([S, 1]) as tf.Tensor2D;

  const bestVal = new Array<number>(S).fill(Number.POSITIVE_INFINITY);
  const bestEpoch = new Array<number>(S).fill(0);
  const active = new Array<boolean>(S).fill(true);
  let epoch = 0;
  let lastYield = performance.now();
  const predict = (p: tf.Tensor2D, masks?: tf.Tensor3D[]) => {
    const out = forward(arch, layout, p, consts, masks);
    return { out, pred: head.apply(out.reshape([S, G * F])) };
  };

  try {
    while (epoch < setup.maxEpochs && active.some((a) => a)) {
      if (opts.signal?.aborted) throw new TrialCancelledError(epoch);
      epoch += 1;
      tf.tidy(() => {
        const masks = dropoutMasks(arch, dropoutRngs, G);
        let val: tf.Tensor1D | null = null;
        const { value: _loss, grad } = tf.valueAndGrad((p: tf.Tensor2D) => {
          const { out, pred } = predict(p, masks);
          const resid = tf.sub(pred, dataT) as tf.Tensor2D;
          if (masks.length === 0) val = tf.keep(whitenedChi2(resid, wVal, invVal));
          let loss = tf.sum(whitenedChi2(resid, wTrain, invTrain));
          if (setup.positivity) loss = tf.add(loss, tf.mul(tf.sum(tf.relu(tf.neg(out))), setup.positivity));
          return loss as tf.Scalar;
        })(params);
        if (val === null)
          val = whitenedChi2(tf.sub(predict(params).pred, dataT) as tf.Tensor2D, wVal, invVal);
        const v: tf.Tensor1D = val;
        const vData = v.dataSync();
        const improved = new Uint8Array(S);
        let anyImproved = false;
        for (let s = 0; s < S; s++) {
          if (!active[s]) continue;
          const cur = hasVal[s] ? vData[s]! : 0;
          if (cur < bestVal[s]! || (epoch === 1 && !hasVal[s])) {
            bestVal[s] = cur;
            bestEpoch[s] = epoch;
            improved[s] = 1;
            anyImproved = true;
          }
        }
        if (anyImproved) {
          const cond = tf.broadcastTo(tf.tensor2d(improved, [S, 1], "bool"), [S, P]);
          best.assign(tf.where(cond, params, best));
        }
        optimiser.apply(params, grad as tf.Tensor2D, activeT);
        tf.dispose(v);
      });
      let changed = false;
      for (let s = 0; s < S; s++)
        if (active[s] && (!hasVal[s] || epoch - bestEpoch[s]! >= setup.patienceEpochs)) {
          // without validation points there is nothing to stop on: train to max epochs
          if (hasVal[s]) {
            active[s] = false;
            changed = true;
          }
        }
      if (changed) {
        activeT.dispose();
        activeT = tf.tensor2d(
          Float32Array.from(active, (a) => (a ? 1 : 0)),
          [S, 1],
        );
      }
      if (opts.onReport && (epoch % setup.reportEvery === 0 || epoch === setup.maxEpochs)) {
        const finite = bestVal.filter(Number.isFinite);
        const value = finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length);
        const prune = await opts.onReport({ epoch, value, activeReplicas: active.filter((a) => a).length });
        if (prune === true) throw new TrialPrunedError(epoch);
      }
      if (performance.now() - lastYield > 25) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    if (opts.signal?.aborted) throw new TrialCancelledError(epoch);

    let pd: Float32Array<ArrayBufferLike> = new Float32Array(0);
    let od: Float32Array<ArrayBufferLike> = new Float32Array(0);
    tf.tidy(() => {
      const { out, pred } = predict(best as unknown as tf.Tensor2D);
      pd = pred.dataSync() as Float32Array;
      od = out.dataSync() as Float32Array;
    });
    const bd = best.dataSync() as Float32Array;
    const predictions = members.map((_, s) => Float64Array.from(pd.subarray(s * n, (s + 1) * n)));
    const outputs = members.map((_, s) => Float64Array.from(od.subarray(s * G * F, (s + 1) * G * F)));
    const parameters = members.map((_, s) => Float32Array.from(bd.subarray(s * P, (s + 1) * P)));
    return {
      members,
      predictions,
      outputs,
      bestValidationChi2: bestVal,
      bestEpoch,
      epochs: epoch,
      parameters,
    };
  } finally {
    wTrain.dispose();
    wVal.dispose();
    tf.dispose([params, best, dataT, invTrain, invVal, activeT, consts.inputs]);
    if (consts.logX) tf.dispose([consts.logX, consts.log1mX!]);
    head.dispose();
    optimiser.dispose();
  }
}
