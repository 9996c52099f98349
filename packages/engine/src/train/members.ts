/**
 * What a trial trains, independent of the device: its setup, its stacked members (folds × replicas
 * with their pseudo-data and training/validation splits), its reports and its fit.
 */

import { foldPoints, pseudoData, trainingSplit } from "../data/replicas.ts";
import type { ArchitectureConfig } from "../model/mlp.ts";
import type { Task } from "../tasks/task.ts";
import type { OptimiserConfig } from "./optimisers.ts";

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
    data:
      setup.task.pseudoData && !(setup.task.centralReplica && r === 0)
        ? pseudoData(ds, setup.seed, r)
        : Float64Array.from(ds.central),
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
