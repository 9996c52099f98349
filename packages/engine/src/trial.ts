import { selectBackend } from "./backend.ts";
import type { Dataset } from "./data/dataset.ts";
import { assignFolds } from "./data/replicas.ts";
import { scoreFoldPredictions } from "./estimators/ensemble.ts";
import { type FoldStatistic, mean, meanPrediction } from "./estimators/estimators.ts";
import { PHYSICS_LIMITS, type SubsetChi2, subsetChi2 } from "./estimators/physics.ts";
import type { ArchitectureConfig } from "./model/mlp.ts";
import { parseHyperparameters, parseTrialSpec, type TrialSpec } from "./spec.ts";
import { buildClosureTask } from "./tasks/closure.ts";
import { buildTabularTask } from "./tasks/tabular.ts";
import type { Task } from "./tasks/task.ts";
import { buildTheoryTask } from "./tasks/theory.ts";
import { type EnsembleFit, type EnsembleSetup, trainEnsemble, type trainPacked } from "./train/trainer.ts";

export interface TrialReport {
  epoch: number;
  /** Mean validation chi2 over replicas and folds (best so far per replica). */
  value: number;
  activeReplicas: number;
}

export interface PredictionBand {
  name: string;
  mean: number[];
  lower: number[];
  upper: number[];
  truth?: number[];
  /**
   * A bounded subset of the members' own curves (at most PHYSICS_LIMITS.replicaCurves, evenly spread
   * over the stacked members), for replica curves on the flavour panels; not every replica is stored.
   */
  replicas?: number[][];
}

export interface TrialResult {
  L1: number;
  L2: number;
  L3: number;
  phi2: number;
  foldChi2: number[];
  foldPhi2: number[];
  foldCentralChi2: number[];
  replicaChi2: number[];
  closure?: { bias: number; variance: number; ratio: number };
  /** Fold statistics of ⟨chi2_k⟩_rep and phi2_k: average, best_worst (max), std. */
  foldStats?: Record<"chi2" | "phi2", Record<FoldStatistic, number>>;
  epochs: number;
  backend: string;
  durationSeconds: number;
  predictions?: {
    x: number[];
    xLabel: string;
    flavours: PredictionBand[];
    data?: {
      x: number[];
      central: number[];
      error: number[];
      prediction: number[];
      subsets: { name: string; start: number; end: number }[];
    };
    /** χ²/N per sub-dataset, training and held-out (estimators/physics.ts subsetChi2). */
    subsetChi2?: SubsetChi2[];
    /** Per member (index k·R + r), the epoch of the best validation χ² whose weights it kept. */
    stoppingEpochs?: number[];
  };
}

export interface RunTrialOptions {
  // biome-ignore lint/suspicious/noConfusingVoidType: callers return nothing or true (prune)
  onReport?: (r: TrialReport) => void | boolean | Promise<void | boolean>;
  signal?: AbortSignal;
  /**
   * Trains the ensemble instead of TF.js's trainEnsemble (the default): another kernel under the same
   * host (kernel/select.ts selectTrainer, webgpu/trainer.ts webGpuTrainer); `name` becomes the
   * result's `backend`. runTrials packs with it when it has `trainPacked`.
   */
  trainer?: {
    name: string;
    train: typeof trainEnsemble;
    trainPacked?: typeof trainPacked;
  };
  /**
   * The spec's task, already built (buildTask): a runner builds a dataset once per dataset version
   * and reuses it across trials instead of rebuilding its covariance factor for each.
   */
  task?: Task;
}

export function buildTask(spec: TrialSpec): Task {
  if (spec.task.kind === "closure") return buildClosureTask(spec.task.level, spec.task.seed);
  return spec.task.kind === "theory"
    ? buildTheoryTask(spec.task.dataset)
    : buildTabularTask(spec.task.dataset);
}

export function ensembleSetup(spec: TrialSpec, task: Task): { setup: EnsembleSetup; averageBest: boolean } {
  const hp = parseHyperparameters(spec.params);
  const arch: ArchitectureConfig = {
    inputDim: task.modelInputs[0]!.length,
    hidden: hp.hidden,
    outputDim: task.nOutputs,
    activation: hp.activation,
    initializer: hp.initializer,
    dropout: hp.dropout,
    ...(task.preprocessing
      ? {
          preprocessing: {
            alphaInit: task.preprocessing.alphaInit,
            betaInit: task.preprocessing.betaInit,
            trainable: task.preprocessing.trainable,
          },
        }
      : {}),
  };
  const setup: EnsembleSetup = {
    task,
    arch,
    optimiser: {
      name: hp.optimizer,
      learningRate: hp.learningRate,
      momentum: hp.momentum,
      ...(hp.clipnorm !== undefined ? { clipnorm: hp.clipnorm } : {}),
    },
    seed: spec.seed,
    replicaIds: Array.from({ length: spec.replicas }, (_, r) => r),
    folds: assignFolds(task.dataset, spec.folds, spec.seed),
    trainingFraction: hp.trainingFraction,
    maxEpochs: spec.maxEpochs,
    patienceEpochs: Math.max(1, Math.round(hp.stoppingPatience * spec.maxEpochs)),
    reportEvery: spec.reportEvery,
    ...(hp.positivity !== undefined ? { positivity: hp.positivity } : {}),
  };
  return { setup, averageBest: hp.averageBest };
}

/** Train a trial's ensemble(s) and score them with the estimators of METHOD.md §4. */
export async function runTrial(specInput: TrialSpec, opts: RunTrialOptions = {}): Promise<TrialResult> {
  const started = performance.now();
  const spec = parseTrialSpec(specInput);
  const backend = await selectBackend(spec.backend);
  const task = opts.task ?? buildTask(spec);
  const { setup, averageBest } = ensembleSetup(spec, task);
  const fit = await (opts.trainer?.train ?? trainEnsemble)(setup, opts);
  return {
    ...scoreEnsemble(task, setup, fit, averageBest),
    epochs: fit.epochs,
    backend: opts.trainer?.name ?? backend,
    durationSeconds: (performance.now() - started) / 1000,
  };
}

/** Estimators of a fitted ensemble (float64, against the central data). */
export function scoreEnsemble(
  task: Task,
  setup: EnsembleSetup,
  fit: EnsembleFit,
  averageBest = false,
): Omit<TrialResult, "epochs" | "backend" | "durationSeconds"> {
  const score = scoreFoldPredictions(
    task.dataset,
    setup.folds,
    fit.predictions,
    fit.members.map((m) => m.validation),
    averageBest,
  );
  return {
    ...score,
    predictions: {
      ...ensemblePredictions(task, fit),
      subsetChi2: subsetChi2(task.dataset, setup.folds, fit.predictions),
      stoppingEpochs: [...fit.bestEpoch],
    },
  };
}

/** The name for the entry point. */
export const trainTrial = runTrial;

/** Mean and one-sigma band of the model outputs over all members, at most ~100 abscissae. */
export function ensemblePredictions(task: Task, fit: EnsembleFit): NonNullable<TrialResult["predictions"]> {
  const G = task.modelInputs.length;
  const F = task.nOutputs;
  const stride = Math.max(1, Math.ceil(G / 100));
  const rows = Array.from({ length: G }, (_, g) => g)
    .filter((g) => g % stride === 0)
    .sort((a, b) => task.plot.x[a]! - task.plot.x[b]!);
  const round = (v: number) => Number(v.toPrecision(6));
  const S = fit.outputs.length;
  const shown = Math.min(S, PHYSICS_LIMITS.replicaCurves);
  const curveMembers = Array.from({ length: shown }, (_, i) => Math.floor((i * S) / shown));
  const flavours: PredictionBand[] = task.outputNames.map((name, f) => {
    const m: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    for (const g of rows) {
      const vals = fit.outputs.map((o) => o[g * F + f]!);
      const mu = mean(vals);
      const sd = Math.sqrt(mean(vals.map((v) => (v - mu) ** 2)));
      m.push(round(mu));
      lo.push(round(mu - sd));
      hi.push(round(mu + sd));
    }
    const band: PredictionBand = { name, mean: m, lower: lo, upper: hi };
    // Four significant digits: curves are drawn, not computed with, and they dominate the row's size.
    if (shown > 1)
      band.replicas = curveMembers.map((s) =>
        rows.map((g) => Number(fit.outputs[s]![g * F + f]!.toPrecision(4))),
      );
    if (task.plot.truth) band.truth = rows.map((g) => round(task.plot.truth![g]![f]!));
    return band;
  });
  const data = dataComparison(task.dataset, meanPrediction(fit.predictions));
  return {
    x: rows.map((g) => round(task.plot.x[g]!)),
    xLabel: task.plot.xLabel,
    flavours,
    ...(data ? { data } : {}),
  };
}

/**
 * The data and the ensemble's central prediction at the data points, for the study page's plot; only
 * up to 400 points (beyond that the plot is unreadable and the row too large).
 */
export function dataComparison(ds: Dataset, central: ArrayLike<number>) {
  if (ds.nPoints > 400) return undefined;
  const round = (v: number) => Number(v.toPrecision(6));
  return {
    x: ds.inputs.map((r) => round(r[0]!)),
    central: Array.from(ds.central, round),
    error: Array.from({ length: ds.nPoints }, (_, i) => round(Math.sqrt(ds.cov.variance(i)))),
    prediction: Array.from(central, round),
    subsets: ds.subsets.map((s) => ({
      name: s.name,
      start: s.indices[0]!,
      end: s.indices[s.indices.length - 1]! + 1,
    })),
  };
}
