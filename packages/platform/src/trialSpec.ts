import type { TrialSpec } from "@hyperensemble/engine";

export interface StudyRow {
  id: string;
  orgId: string;
  seed: number;
  task: unknown;
  ensemble: unknown;
  training: unknown;
}

interface EnsembleSettings {
  replicas: number;
  folds: number;
}
interface TrainingSettings {
  maxEpochs: number;
  reportEvery: number;
}

/** What a runner trains for one trial: the study's fixed settings plus the trial's sampled params. */
export function buildTrialSpec(
  study: StudyRow,
  trial: { number: number; params: unknown },
  backend?: TrialSpec["backend"],
  /** The dataset JSON of a dataset-backed study (Study.task.kind = "dataset"). */
  dataset?: unknown,
): TrialSpec {
  const ensemble = study.ensemble as EnsembleSettings;
  const training = study.training as TrainingSettings;
  const task = study.task as { kind: "closure"; level: 0 | 1 | 2 } | { kind: "dataset"; datasetId: string };
  if (task.kind === "dataset" && dataset === undefined) {
    throw new Error(`study ${study.id}: dataset ${task.datasetId} must be loaded to build its trial spec`);
  }
  return {
    task:
      task.kind === "dataset"
        ? { kind: "tabular", dataset }
        : { kind: "closure", level: task.level, seed: study.seed },
    replicas: ensemble.replicas,
    folds: ensemble.folds,
    // Each trial gets its own replica seeds; the closure data (task.seed) is shared by the study.
    seed: trialSeed(study.seed, trial.number),
    maxEpochs: training.maxEpochs,
    reportEvery: training.reportEvery,
    params: trial.params as TrialSpec["params"],
    ...(backend ? { backend } : {}),
  };
}

/** A trial's own seed (replica seeds, splits, fold assignment) from the study's seed and its number. */
export function trialSeed(studySeed: number, number: number): number {
  return (studySeed * 1_000_003 + number * 7_919) % 2_147_483_647;
}
