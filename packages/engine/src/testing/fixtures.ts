import { BlockMatrix } from "../data/covariance.ts";
import { assignFolds } from "../data/replicas.ts";
import type { KernelMember, KernelSpec } from "../kernel/kernel.ts";
import { parameterLayout } from "../model/layout.ts";
import type { Activation, ArchitectureConfig } from "../model/mlp.ts";
import type { Task } from "../tasks/task.ts";
import type { EnsembleSetup } from "../train/members.ts";
import type { OptimiserConfig } from "../train/optimisers.ts";

/** The small MLP the trainer and packing tests train on the closure task (2 inputs, 3 flavours). */
export const closureTestArch: ArchitectureConfig = {
  inputDim: 2,
  hidden: [10, 8],
  outputDim: 3,
  activation: "tanh",
  initializer: "glorot_uniform",
  dropout: 0,
  preprocessing: { alphaInit: [0.3, 0.8], betaInit: [2.5, 4.5], trainable: true },
};

/**
 * Three replicas of `arch` on two folds of `task` drawn with `seed` (75 % training; Adam at 1e-2,
 * 40 epochs, patience 6, a report every 10): the set-up the kernel and trainer tests compare
 * backends on. `over` replaces fields after the folds are drawn (a new seed keeps these folds).
 */
export function ensembleTestSetup(
  task: Task,
  arch: ArchitectureConfig,
  seed: number,
  over: Partial<EnsembleSetup> = {},
): EnsembleSetup {
  return {
    task,
    arch,
    optimiser: { name: "adam", learningRate: 1e-2 },
    seed,
    replicaIds: [0, 1, 2],
    folds: assignFolds(task.dataset, 2, seed),
    trainingFraction: 0.75,
    maxEpochs: 40,
    patienceEpochs: 6,
    reportEvery: 10,
    ...over,
  };
}

export interface MseProblem {
  /** Layer sizes [D, …hidden, F]. */
  sizes: number[];
  activation: Activation;
  optimiser: OptimiserConfig;
  /** Points' inputs [N][D]. */
  inputs: ArrayLike<number>;
  /** Each replica's targets [R][N][F]. */
  targets: ArrayLike<number>;
  /** Initial parameters [R][P] (model/layout.ts networkLayout(sizes)). */
  params: Float32Array;
}

/**
 * The stacked-MLP mean-squared-error problem of ReferenceEnsemble (testing/training.ts) and of the
 * issue-4 PyTorch benchmark as a training kernel's stack, so that the trainer's kernels can be timed
 * and checked on it: model row n is input n, data point n·F + k is output k of row n (select head),
 * the covariance is the identity and every point is a training point of every member (no
 * validation, so no early stopping; no dropout, no positivity, no preprocessing). Then the kernel's
 * chi2_train = Σ_i (T_i − D_i)² / |S| with |S| = N·F is that MSE, and its step is the reference's.
 */
export function mseKernelSpec(p: MseProblem): KernelSpec {
  const D = p.sizes[0]!;
  const F = p.sizes[p.sizes.length - 1]!;
  const N = p.inputs.length / D;
  const NF = N * F;
  const R = p.targets.length / NF;
  const rows = Array.from({ length: N }, (_, n) => Array.from({ length: D }, (_, d) => p.inputs[n * D + d]!));
  const identity = BlockMatrix.diagonal(new Float64Array(NF).fill(1));
  const everyPoint = Array.from({ length: NF }, (_, i) => i);
  const task: Task = {
    kind: "tabular",
    dataset: {
      name: "mse",
      nPoints: NF,
      nOutputs: F,
      inputDim: D,
      inputNames: Array.from({ length: D }, (_, d) => `x${d}`),
      inputs: everyPoint.map((i) => rows[Math.floor(i / F)]!),
      outputs: everyPoint.map((i) => i % F),
      central: Float64Array.from({ length: NF }, (_, i) => p.targets[i]!),
      cov: identity,
      chol: identity,
      subsets: [{ name: "mse", indices: everyPoint, alwaysFitted: true }],
    },
    modelInputs: rows,
    nOutputs: F,
    outputNames: Array.from({ length: F }, (_, k) => `y${k}`),
    head: { kind: "select", index: Int32Array.from(everyPoint) },
    pseudoData: false,
    plot: { x: rows.map((r) => r[0]!), xLabel: "x0" },
  };
  const arch: ArchitectureConfig = {
    inputDim: D,
    hidden: p.sizes.slice(1, -1),
    outputDim: F,
    activation: p.activation,
    initializer: "glorot_uniform",
    dropout: 0,
  };
  const members: KernelMember[] = Array.from({ length: R }, (_, r) => ({
    member: {
      fold: 0,
      replica: r,
      data: Float64Array.from({ length: NF }, (_, i) => p.targets[r * NF + i]!),
      train: everyPoint,
      validation: [],
    },
    // patience is never consulted: a member without validation points does not stop
    settings: { optimiser: p.optimiser, dropout: 0, dropoutSeed: 0, positivity: 0, patience: 1 },
  }));
  return {
    task,
    arch,
    layout: parameterLayout(arch),
    optimiser: p.optimiser.name,
    members,
    params: p.params,
  };
}
