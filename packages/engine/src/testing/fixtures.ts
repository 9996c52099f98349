import { assignFolds } from "../data/replicas.ts";
import type { ArchitectureConfig } from "../model/mlp.ts";
import type { Task } from "../tasks/task.ts";
import type { EnsembleSetup } from "../train/members.ts";

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
