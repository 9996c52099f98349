import type { TrialSpec } from "@hyperensemble/engine";
import { parseStudyRow } from "./studyRow.ts";

/** The columns of a Study row a trial spec is built from (raw from the database, or already typed). */
export interface StudyRow {
  id: string;
  orgId: string;
  seed: number;
  task: unknown;
  ensemble: unknown;
  training: unknown;
  /** The study's fixed settings (Study.fixed): merged into every trial's params. */
  fixed: unknown;
}

/** A stored theory dataset (engine tasks/theory.ts) rather than tabular data: its JSON says so. */
const isTheory = (dataset: unknown): boolean =>
  typeof dataset === "object" && dataset !== null && (dataset as { format?: unknown }).format === "theory";

/** What a runner trains for one trial: the study's fixed settings plus the trial's sampled params. */
export function buildTrialSpec(
  row: StudyRow,
  trial: { number: number; params: unknown },
  backend?: TrialSpec["backend"],
  /** The dataset JSON of a dataset-backed study (Study.task.kind = "dataset"). */
  dataset?: unknown,
): TrialSpec {
  // Only the columns the spec needs: parsing the search space here would repeat it for every trial.
  const { task, ensemble, training, seed, fixed } = parseStudyRow({
    id: row.id,
    seed: row.seed,
    task: row.task,
    ensemble: row.ensemble,
    training: row.training,
    fixed: row.fixed,
  });
  if (task.kind === "dataset" && dataset === undefined) {
    throw new Error(`study ${row.id}: dataset ${task.datasetId} must be loaded to build its trial spec`);
  }
  return {
    task:
      task.kind === "dataset"
        ? { kind: isTheory(dataset) ? "theory" : "tabular", dataset }
        : { kind: "closure", level: task.level, seed },
    replicas: ensemble.replicas,
    folds: ensemble.folds,
    // Each trial gets its own replica seeds; the closure data (task.seed) is shared by the study.
    seed: trialSeed(seed, trial.number),
    maxEpochs: training.maxEpochs,
    reportEvery: training.reportEvery,
    params: trialParams(fixed, trial.params) as TrialSpec["params"],
    ...(backend ? { backend } : {}),
  };
}

/** A trial's own seed (replica seeds, splits, fold assignment) from the study's seed and its number. */
export function trialSeed(studySeed: number, number: number): number {
  return (studySeed * 1_000_003 + number * 7_919) % 2_147_483_647;
}

/**
 * What the trainer gets for a trial: the sampled params and the study's fixed settings. Creation keeps
 * the two apart (a name is searched or fixed); should an older trial's params hold a fixed name, the
 * study's fixed value wins, as it does for every other trial.
 */
export function trialParams(fixed: Record<string, unknown>, params: unknown): Record<string, unknown> {
  return { ...(params as Record<string, unknown>), ...fixed };
}
