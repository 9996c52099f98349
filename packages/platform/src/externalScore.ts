// What an external trainer needs of a study's data, and how the platform scores what it tells: the
// study's task is built exactly as a runner builds it, the folds assigned with the trial's own seed,
// and predictions scored by the engine's estimators (engine estimators/ensemble.ts, the runners'
// own scoring). Nothing here trusts the caller's shapes: each mismatch names its field.
import type { Db, TrialResultData } from "@hyperensemble/db";
import type { Task } from "@hyperensemble/engine";
import { averageBest, mean, meanPrediction, trialLosses } from "@hyperensemble/engine/estimators";
import type { StoredTask } from "./studyRow.ts";
import { trialParams, trialSeed } from "./trialSpec.ts";

type Engine = typeof import("@hyperensemble/engine");
const loadEngine = (): Promise<Engine> => import("@hyperensemble/engine");

/** Input that does not fit the study (wrong number of folds, replicas or points); names the field. */
export class ExternalInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "ExternalInputError";
  }
}

/** The study as parseStudyRow types it: a row read from the database is parsed before it gets here. */
export interface ScoredStudy {
  id: string;
  orgId: string;
  seed: number;
  task: StoredTask;
  ensemble: { replicas: number; folds: number };
  objective: string;
  /** The study's fixed settings: part of every trial's params (training_fraction, average_best). */
  fixed: Record<string, unknown>;
}

// Built tasks by study (closure: the study's seed) or dataset (immutable once stored): the
// covariance factor is built once, not per tell. Least recently used out.
const tasks = new Map<string, Promise<Task>>();
const MAX_TASKS = 4;

/** The study's task as its runners train it (a dataset's covariance factorised off this thread). */
export function studyTask(db: Db, study: ScoredStudy): Promise<Task> {
  const spec = study.task;
  const key =
    spec.kind === "closure"
      ? `closure:${spec.level}:${study.seed}`
      : `dataset:${study.orgId}:${spec.datasetId}`;
  const hit = tasks.get(key);
  if (hit) {
    tasks.delete(key);
    tasks.set(key, hit);
    return hit;
  }
  const building = (async () => {
    const engine = await loadEngine();
    if (spec.kind === "closure") return engine.buildClosureTask(spec.level, study.seed);
    const row = await db.dataset.findFirstOrThrow({
      where: { id: spec.datasetId, orgId: study.orgId },
      select: { data: true },
    });
    return engine.buildTabularTaskOffThread(row.data, engine.DEFAULT_DATASET_LIMITS);
  })();
  tasks.set(key, building);
  building.catch(() => {
    if (tasks.get(key) === building) tasks.delete(key);
  });
  while (tasks.size > MAX_TASKS) tasks.delete(tasks.keys().next().value!);
  return building;
}

/**
 * A trial's folds: per fold, the held-out points (empty with one fold), and with one fold each
 * replica's validation points (the engine's training split with the trial's seed and
 * `training_fraction`, default 0.75), which is where a replica is scored when nothing is held out.
 */
export async function trialFolds(task: Task, study: ScoredStudy, trial: { number: number; params: unknown }) {
  const engine = await loadEngine();
  const { replicas, folds: k } = study.ensemble;
  const seed = trialSeed(study.seed, trial.number);
  const ds = task.dataset;
  let heldOutSubsets: number[][];
  try {
    heldOutSubsets = engine.assignFolds(ds, k, seed);
  } catch (error) {
    // The study asks for more folds than its dataset has sub-datasets to hold out: a 400, not a 500.
    const message = error instanceof Error ? error.message : String(error);
    throw new ExternalInputError("folds", message.replace(/^folds: /, ""));
  }
  const heldOut = heldOutSubsets.map((subs) =>
    subs.flatMap((si) => ds.subsets[si]!.indices).sort((a, b) => a - b),
  );
  const params = trialParams(study.fixed, trial.params ?? {});
  const fraction = typeof params["training_fraction"] === "number" ? params["training_fraction"] : 0.75;
  const validation =
    k <= 1
      ? Array.from({ length: replicas }, (_, r) => {
          const split = engine.trainingSplit(ds, seed, r, fraction);
          const points: number[] = [];
          split.forEach((inTraining, i) => {
            if (!inTraining) points.push(i);
          });
          return points;
        })
      : undefined;
  return { seed, heldOutSubsets, heldOut, validation };
}

/** GET …/studies/{id}/points: the data an external trainer fits, and (with a trial) its folds. */
export async function studyPoints(db: Db, study: ScoredStudy, trial?: { number: number; params: unknown }) {
  const task = await studyTask(db, study);
  const ds = task.dataset;
  const folds = trial ? await trialFolds(task, study, trial) : undefined;
  return {
    task: study.task,
    nPoints: ds.nPoints,
    nOutputs: ds.nOutputs,
    inputNames: ds.inputNames,
    inputs: ds.inputs,
    outputs: ds.outputs,
    central: Array.from(ds.central),
    errors: Array.from({ length: ds.nPoints }, (_, i) => Math.sqrt(ds.cov.variance(i))),
    subsets: ds.subsets.map((s) => ({
      name: s.name,
      start: s.indices[0]!,
      end: s.indices[s.indices.length - 1]! + 1,
      alwaysFitted: s.alwaysFitted,
    })),
    ...(folds
      ? {
          trial: { number: trial!.number, seed: folds.seed },
          folds: folds.heldOut.map((heldOut) => ({ heldOut })),
          ...(folds.validation ? { validation: folds.validation } : {}),
        }
      : {}),
  };
}

export interface PredictionsTell {
  folds: { replicas: number[][] }[];
}
export interface Chi2Tell {
  folds: { train: number[]; validation: number[]; heldOut: number[]; central?: number }[];
}

type Scores = Omit<TrialResultData, "epochs" | "backend" | "durationSeconds">;

function checkCount(field: string, got: number, want: number, what: string) {
  if (got !== want) throw new ExternalInputError(field, `has ${got} entries, the study has ${want} ${what}`);
}

/** L1, L2, L3, φ², per-fold χ² (and closure estimators) from the ensemble's predictions. */
export async function scorePredictions(
  db: Db,
  study: ScoredStudy,
  trial: { number: number; params: unknown },
  tell: PredictionsTell,
): Promise<Scores> {
  const { replicas, folds: k } = study.ensemble;
  const task = await studyTask(db, study);
  const n = task.dataset.nPoints;
  checkCount("predictions.folds", tell.folds.length, k, "folds");
  const predictions: number[][] = [];
  tell.folds.forEach((fold, f) => {
    checkCount(`predictions.folds.${f}.replicas`, fold.replicas.length, replicas, "replicas");
    fold.replicas.forEach((p, r) => {
      if (p.length !== n)
        throw new ExternalInputError(
          `predictions.folds.${f}.replicas.${r}`,
          `has ${p.length} values, the study's dataset has ${n} points`,
        );
      predictions.push(p);
    });
  });
  const engine = await loadEngine();
  const folds = await trialFolds(task, study, trial);
  const validation = folds.validation ? tell.folds.flatMap(() => folds.validation!) : [];
  const averageBest = trialParams(study.fixed, trial.params ?? {})["average_best"] === true;
  const score = engine.scoreFoldPredictions(
    task.dataset,
    folds.heldOutSubsets,
    predictions,
    validation,
    averageBest,
  );
  const objective = study.objective as "L1" | "L2" | "L3";
  const data = engine.dataComparison(task.dataset, meanPrediction(predictions));
  return {
    value: score[objective],
    L1: score.L1,
    L2: score.L2,
    L3: score.L3,
    phi2: score.phi2,
    foldChi2: score.foldChi2,
    foldPhi2: score.foldPhi2,
    foldCentralChi2: score.foldCentralChi2,
    replicaChi2: score.replicaChi2,
    closureBias: score.closure?.bias ?? null,
    closureVariance: score.closure?.variance ?? null,
    // The physics views' per-sub-dataset χ²/N, as for the runners' trials (no stopping epochs or
    // flavours: an external trainer tells neither).
    predictions: {
      x: [],
      xLabel: task.plot.xLabel,
      flavours: [],
      ...(data ? { data } : {}),
      subsetChi2: engine.subsetChi2(task.dataset, folds.heldOutSubsets, predictions),
    },
  };
}

/**
 * The losses from per-replica χ² per fold (held-out points; validation points with one fold). φ²
 * needs the χ² of the ensemble's central prediction on the same points (`central`): φ²_k =
 * ⟨χ²_k⟩_rep − χ²_k[⟨T⟩], as the runners compute it.
 */
export function scoreChi2(study: ScoredStudy, trial: { params: unknown }, tell: Chi2Tell): Scores {
  const { replicas, folds: k } = study.ensemble;
  checkCount("chi2.folds", tell.folds.length, k, "folds");
  const best = (trial.params as Record<string, unknown> | null)?.["average_best"] === true;
  const scored = tell.folds.map((fold, f) => {
    for (const part of ["train", "validation", "heldOut"] as const)
      checkCount(`chi2.folds.${f}.${part}`, fold[part].length, replicas, "replicas");
    if (fold.central === undefined)
      throw new ExternalInputError(
        `chi2.folds.${f}.central`,
        "is required: the χ² of the ensemble's central prediction, from which φ² is computed",
      );
    const perReplica = k <= 1 ? fold.validation : fold.heldOut;
    const meanChi2 = best ? averageBest(perReplica) : mean(perReplica);
    return {
      replicaChi2: perReplica,
      meanChi2,
      centralChi2: fold.central,
      phi2: mean(perReplica) - fold.central,
    };
  });
  const losses = trialLosses(scored);
  return {
    value: losses[study.objective as "L1" | "L2" | "L3"],
    ...losses,
    foldChi2: scored.map((f) => f.meanChi2),
    foldPhi2: scored.map((f) => f.phi2),
    foldCentralChi2: scored.map((f) => f.centralChi2),
    replicaChi2: Array.from({ length: replicas }, (_, r) => mean(scored.map((f) => f.replicaChi2[r]!))),
    closureBias: null,
    closureVariance: null,
  };
}
