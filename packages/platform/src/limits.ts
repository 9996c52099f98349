// Quotas and limits, on by default: environment defaults with per-organisation overrides (the
// OrgLimits row, set by operators with `npm run org:limits`). Checked before anything is stored, with
// a message that names the field, the limit, where the limit comes from and how the figure was
// computed (docs/operations.md, "Quotas and limits").
import type { Db, DbTransaction } from "@hyperensemble/db";
import type { SearchSpace } from "@hyperensemble/engine/search";
import {
  closureModelShape,
  largestHiddenLayers,
  largestParameterCount,
  type ModelShape,
} from "@hyperensemble/engine/size";
import { z } from "zod";
import { parseStudyRow } from "./studyRow.ts";

export interface Limits {
  /** WAITING + RUNNING trials per organisation, across its studies (Infinity: no limit). */
  maxActiveTrials: number;
  /** A study's parallelism (trials at once). */
  maxParallelism: number;
  /** Trials per study, including trials added later. */
  maxTrialsPerStudy: number;
  /** replicas × folds × maxEpochs × parameters of one trial. */
  maxTrialCompute: number;
  /** Trial compute × trials of one study. */
  maxStudyCompute: number;
  /** Wall-clock seconds of one trial on a runner; past it the trial is stopped and fails. */
  maxTrialSeconds: number;
  /** A study's maxWallSeconds (and its value when the study sets none). */
  maxStudyWallSeconds: number;
  /** A study's maxGpuSeconds (and its value when the study sets none). */
  maxStudyGpuSeconds: number;
  /** Bytes the organisation stores (storage.ts `storedBytes`): uploads past it are refused. */
  maxStorageBytes: number;
  /** Replicas of one final fit (fit.create). */
  maxFitReplicas: number;
}
export type LimitName = keyof Limits;

/** Each limit's environment variable and default (the table in docs/operations.md). */
export const LIMIT_DEFAULTS: Record<LimitName, { variable: string; value: number }> = {
  maxActiveTrials: { variable: "HENS_ORG_MAX_ACTIVE_TRIALS", value: 256 },
  maxParallelism: { variable: "HENS_STUDY_MAX_PARALLELISM", value: 32 },
  maxTrialsPerStudy: { variable: "HENS_STUDY_MAX_TRIALS", value: 1_000 },
  maxTrialCompute: { variable: "HENS_TRIAL_MAX_COMPUTE", value: 1e12 },
  maxStudyCompute: { variable: "HENS_STUDY_MAX_COMPUTE", value: 1e14 },
  maxTrialSeconds: { variable: "HENS_MAX_TRIAL_SECONDS", value: 86_400 },
  maxStudyWallSeconds: { variable: "HENS_STUDY_MAX_WALL_SECONDS", value: 2_592_000 },
  maxStudyGpuSeconds: { variable: "HENS_STUDY_MAX_GPU_SECONDS", value: 2_592_000 },
  maxStorageBytes: { variable: "HENS_ORG_MAX_STORAGE_BYTES", value: 10 * 1024 ** 3 },
  maxFitReplicas: { variable: "HENS_FIT_MAX_REPLICAS", value: 1_000 },
};
export const LIMIT_NAMES = Object.keys(LIMIT_DEFAULTS) as LimitName[];

const positive = (variable: string) =>
  z.coerce
    .number({ error: `${variable} must be a number` })
    .refine((n) => Number.isFinite(n) && n >= 0, { error: `${variable} must be a number >= 0` });

/**
 * The environment's limits. Every variable is optional (its default applies); 0 turns
 * HENS_ORG_MAX_ACTIVE_TRIALS off (no admission limit), and is refused for the others. Throws an
 * error naming the variable when a value is not a number.
 */
export function limitsFromEnv(source: NodeJS.ProcessEnv = process.env): Limits {
  const out = {} as Limits;
  for (const name of LIMIT_NAMES) {
    const { variable, value } = LIMIT_DEFAULTS[name];
    const raw = source[variable];
    if (raw === undefined || raw.trim() === "") {
      out[name] = value;
      continue;
    }
    const n = positive(variable).parse(raw);
    if (name === "maxActiveTrials") out[name] = n === 0 ? Number.POSITIVE_INFINITY : Math.floor(n);
    else if (n === 0) throw new Error(`${variable} must be > 0 (unset it for the default ${value})`);
    else out[name] = n;
  }
  return out;
}

/** Where a limit's value came from, for messages: the org's override or the environment variable. */
export interface ResolvedLimits {
  limits: Limits;
  source: Record<LimitName, string>;
}

/** The organisation's limits: its OrgLimits overrides over the environment's defaults. */
export async function orgLimits(
  db: Db | DbTransaction,
  orgId: string,
  env: Limits = limitsFromEnv(),
): Promise<ResolvedLimits> {
  const row = await db.orgLimits.findFirst({ where: { orgId } });
  const limits = { ...env };
  const source = {} as Record<LimitName, string>;
  for (const name of LIMIT_NAMES) {
    const override = row?.[name];
    if (override != null) {
      // An override of 0 active trials would block the org entirely: read as "no limit", as in the env.
      limits[name] = name === "maxActiveTrials" && override === 0 ? Number.POSITIVE_INFINITY : override;
      source[name] = "this organisation's override";
    } else source[name] = LIMIT_DEFAULTS[name].variable;
  }
  return { limits, source };
}

/** See Limits.maxActiveTrials: the admission limit fillQueue applies to the organisation. */
export async function orgActiveLimit(db: Db, orgId: string): Promise<number> {
  return (await orgLimits(db, orgId)).limits.maxActiveTrials;
}

/** A study input over a limit (HTTP 400); `field` is the input field to change. */
export class StudyLimitError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "StudyLimitError";
  }
}

const fmt = (n: number) =>
  n >= 1e6 ? n.toExponential(2).replace("e+", "e") : n.toLocaleString("en-US", { maximumFractionDigits: 0 });

/** The network a study's task trains: the closure task's, or an uploaded dataset's inputs/outputs. */
export async function studyModelShape(db: Db, orgId: string, datasetId: string | null): Promise<ModelShape> {
  if (datasetId === null) return closureModelShape;
  // Only the two header fields: the dataset's points may be large.
  // A theory (format "theory") has its features on its grid rows and may carry preprocessing.
  const rows = await db.$queryRaw<
    { inputs: number | null; outputs: number | null; preprocessing: boolean | null }[]
  >`
    SELECT CASE WHEN "data"->>'format' = 'theory' AND jsonb_typeof("data"->'grid'->0) = 'array' THEN jsonb_array_length("data"->'grid'->0)
                WHEN jsonb_typeof("data"->'inputNames') = 'array' THEN jsonb_array_length("data"->'inputNames') END AS "inputs",
           CASE WHEN jsonb_typeof("data"->'nOutputs') = 'number' THEN ("data"->>'nOutputs')::float8 END AS "outputs",
           ("data"->>'format' = 'theory' AND "data" ? 'preprocessing') AS "preprocessing"
    FROM "Dataset" WHERE "id" = ${datasetId} AND "orgId" = ${orgId}`;
  const row = rows[0];
  return {
    inputDim: row?.inputs ?? 1,
    outputDim: row?.outputs ?? 1,
    preprocessing: row?.preprocessing === true,
  };
}

export interface StudySize {
  replicas: number;
  folds: number;
  maxEpochs: number;
  trials: number;
  /** Absent when the study already exists (growing it does not change its parallelism). */
  parallelism?: number;
  space: SearchSpace;
  /** The study's fixed settings: a fixed n_layers or units_i sizes every trial's network too. */
  fixed?: Record<string, unknown>;
  shape: ModelShape;
}

/** The space as the size estimate sees it: each fixed number as the one value its parameter takes. */
function sizedSpace(space: SearchSpace, fixed: Record<string, unknown> = {}): SearchSpace {
  const pinned = Object.entries(fixed).flatMap(([name, value]) =>
    typeof value === "number" ? [[name, { type: "categorical", choices: [value] }]] : [],
  );
  return pinned.length === 0 ? space : ({ ...space, ...Object.fromEntries(pinned) } as SearchSpace);
}

/** One trial's compute (replicas × folds × maxEpochs × parameters) and how it was computed. */
export function trialCompute(size: Omit<StudySize, "trials" | "parallelism">) {
  const space = sizedSpace(size.space, size.fixed);
  const parameters = largestParameterCount(space, size.shape);
  const compute = size.replicas * size.folds * size.maxEpochs * parameters;
  const hidden = largestHiddenLayers(space);
  const how =
    `replicas × folds × maxEpochs × parameters = ${size.replicas} × ${size.folds} × ${size.maxEpochs} × ` +
    `${fmt(parameters)} = ${fmt(compute)}, where parameters counts the largest network the search space ` +
    `allows (hidden layers ${hidden.join("-")}, ${size.shape.inputDim} inputs, ${size.shape.outputDim} outputs)`;
  return { compute, parameters, how };
}

/**
 * Refuse a study over its organisation's limits, naming the field to change: parallelism, trials,
 * the per-trial compute (reported on `replicas`, the first factor; the message names all four) and
 * the per-study compute (on `trials`).
 */
export function checkStudySize(
  size: StudySize,
  resolved: ResolvedLimits,
  /** The input field that sets the trial count (`count` when trials are added to a study). */
  trialsField = "trials",
): void {
  const { limits, source } = resolved;
  const over = (field: string, name: LimitName, what: string) =>
    new StudyLimitError(field, `${what} exceeds the limit of ${fmt(limits[name])} (${source[name]})`);
  if (size.parallelism !== undefined && size.parallelism > limits.maxParallelism)
    throw over("parallelism", "maxParallelism", `parallelism ${size.parallelism}`);
  if (size.trials > limits.maxTrialsPerStudy)
    throw over(trialsField, "maxTrialsPerStudy", `${size.trials} trials per study`);
  const trial = trialCompute(size);
  if (trial.compute > limits.maxTrialCompute)
    throw over("replicas", "maxTrialCompute", `the compute of one trial, ${trial.how},`);
  const study = trial.compute * size.trials;
  if (study > limits.maxStudyCompute)
    throw over(
      trialsField,
      "maxStudyCompute",
      `the compute of the study, trials × trial compute = ${size.trials} × ${fmt(trial.compute)} = ${fmt(study)} (${trial.how}),`,
    );
}

/** A user-set time budget capped by its limit; absent, the limit itself (every study has a finite budget). */
export function cappedSeconds(
  field: string,
  requested: number | undefined,
  name: "maxTrialSeconds" | "maxStudyWallSeconds" | "maxStudyGpuSeconds",
  resolved: ResolvedLimits,
): number {
  const limit = resolved.limits[name];
  if (requested === undefined) return Math.floor(limit);
  if (requested > limit)
    throw new StudyLimitError(
      field,
      `${requested} s exceeds the limit of ${fmt(limit)} s (${resolved.source[name]})`,
    );
  return requested;
}

/**
 * Refuse growing a study (more trials, given configurations) past its organisation's limits: the
 * study's trial count after the growth against the trials-per-study and per-study compute limits.
 */
export async function checkStudyGrowth(
  db: Db,
  ref: { orgId: string; studyId: string },
  added: number,
  field: string,
): Promise<void> {
  const found = await db.study.findFirst({
    where: { id: ref.studyId, orgId: ref.orgId },
    select: {
      id: true,
      maxTrials: true,
      ensemble: true,
      training: true,
      searchSpace: true,
      fixed: true,
      datasetId: true,
    },
  });
  if (!found) return; // the caller reports the missing study
  const study = parseStudyRow(found);
  checkStudySize(
    {
      replicas: study.ensemble.replicas,
      folds: study.ensemble.folds,
      maxEpochs: study.training.maxEpochs,
      trials: study.maxTrials + added,
      space: study.searchSpace,
      fixed: study.fixed,
      shape: await studyModelShape(db, ref.orgId, study.datasetId),
    },
    await orgLimits(db, ref.orgId),
    field,
  );
}

/**
 * An operator's change to an organisation's overrides (`npm run org:limits`): each name → a number
 * (the override; 0 active trials = no admission limit) or null (back to the environment default).
 * Returns the organisation's limits afterwards. Unknown organisation or limit names are errors.
 */
export async function setOrgLimits(
  db: Db,
  slug: string,
  changes: Partial<Record<LimitName, number | null>>,
): Promise<ResolvedLimits & { orgId: string }> {
  const org = await db.organization.findUnique({ where: { slug }, select: { id: true } });
  if (!org) throw new Error(`no organisation with slug "${slug}"`);
  for (const [name, value] of Object.entries(changes)) {
    if (!LIMIT_NAMES.includes(name as LimitName))
      throw new Error(`unknown limit "${name}" (one of ${LIMIT_NAMES.join(", ")})`);
    if (value !== null && !(Number.isFinite(value) && value >= 0))
      throw new Error(`${name} must be a number >= 0, or "default"`);
    if (value !== null && !["maxTrialCompute", "maxStudyCompute"].includes(name) && !Number.isInteger(value))
      throw new Error(`${name} must be a whole number`);
    if (value === 0 && name !== "maxActiveTrials") throw new Error(`${name} must be > 0, or "default"`);
  }
  await db.orgLimits.upsert({
    where: { orgId: org.id },
    create: { orgId: org.id, ...changes },
    update: changes,
  });
  return { orgId: org.id, ...(await orgLimits(db, org.id)) };
}
