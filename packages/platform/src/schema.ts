import { z } from "zod";
import { SAMPLER_NAMES, SCHEDULER_NAMES, samplerSpecSchema, schedulerSpecSchema } from "./search-spec.ts";

// The study-creation input shared by the web form, the tRPC/REST API, the CLI and the quickstart.
// Zod and the engine's pure search registry only (no TensorFlow.js), so client components can
// validate inline with the same rules.

/** Postgres `integer` (int4): every whole number that reaches a column or a LIMIT/OFFSET stays within it. */
export const INT32_MAX = 2147483647;

/** A whole number in [min, max], each failure naming `field` (a 400, never a database error). */
export const int = (field: string, min: number, max: number) =>
  z
    .number({ error: `${field} must be a number` })
    .int({ error: `${field} must be a whole number` })
    .min(min, { error: `${field} must be at least ${min}` })
    .max(max, { error: `${field} must be at most ${max}` });

/** A year: the schema's ceiling for every time budget (the organisation's limits are lower). */
const MAX_SECONDS = 31_536_000;

/** Every registered sampler and scheduler (engine/search registry): the API's lists derive from it. */
export const SAMPLERS = SAMPLER_NAMES;
export const SCHEDULERS = SCHEDULER_NAMES;
export const OBJECTIVES = ["L1", "L2", "L3"] as const;
export const SEARCH_MODES = ["centralised", "decentralized"] as const;
/** Who trains a study's trials: the platform's runners, or the user's own code through ask/tell. */
export const EXECUTORS = ["runner", "external"] as const;

export const closureTaskSchema = z.object({
  kind: z.literal("closure"),
  level: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: "task.level must be 0, 1 or 2" }),
});

/** An uploaded dataset of the study's organization (the generic tabular task). */
export const datasetTaskSchema = z.object({
  kind: z.literal("dataset"),
  datasetId: z
    .string({ error: "task.datasetId is required" })
    .min(1, { error: "task.datasetId is required" }),
});

const studySpecFields = {
  name: z
    .string({ error: "name is required" })
    .trim()
    .min(1, { error: "name is required" })
    .max(120, { error: "name must be at most 120 characters" }),
  task: z
    .union([closureTaskSchema, datasetTaskSchema], {
      error: "task must be the closure task or an uploaded dataset",
    })
    .default({ kind: "closure", level: 2 }),
  replicas: int("replicas", 1, 2000),
  trials: int("trials", 1, 1000),
  folds: int("folds", 1, 10).default(2),
  maxEpochs: int("maxEpochs", 10, 100000).default(400),
  parallelism: int("parallelism", 1, 64).default(2),
  seed: int("seed", 0, 2147483647).optional(),
  // A name or { name, options }, the options checked by the registry entry's schema (search-spec.ts).
  sampler: samplerSpecSchema.default({ name: "auto", options: {} }),
  scheduler: schedulerSpecSchema.default({ name: "none", options: {} }),
  mode: z
    .enum(SEARCH_MODES, { error: `mode must be one of ${SEARCH_MODES.join(", ")}` })
    .default("centralised"),
  executor: z.enum(EXECUTORS, { error: `executor must be one of ${EXECUTORS.join(", ")}` }).default("runner"),
  objective: z.enum(OBJECTIVES, { error: `objective must be one of ${OBJECTIVES.join(", ")}` }).default("L1"),
  // Passed through as given (the engine's parser checks it): a z.record would copy it and silently
  // drop an own `__proto__` key, which the parser must see to refuse by name.
  searchSpace: z
    .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
      error: "searchSpace must be an object of parameter name to distribution",
    })
    .optional(),
  // Fixed settings: hyperparameter name → value for every trial, never searched. Passed through as
  // given, like the space, and checked against the trainer and the space at creation (study.ts).
  fixed: z
    .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
      error: "fixed must be an object of hyperparameter name to value",
    })
    .optional(),
  // Time budgets, each capped by the organisation's limit (and set to it when left out).
  /** Stop issuing trials once the study has run this long since its first trial started. */
  maxWallSeconds: int("maxWallSeconds", 1, MAX_SECONDS).optional(),
  /** Stop issuing trials once the study's trials have used this much runner time. */
  maxGpuSeconds: int("maxGpuSeconds", 1, MAX_SECONDS).optional(),
  /** A trial still training after this long is stopped and fails ("time limit"), never retried. */
  maxTrialSeconds: int("maxTrialSeconds", 1, MAX_SECONDS).optional(),
  /** Warm start: the id of another study of the organisation whose completed trials seed the sampler. */
  warmStartFrom: z.string().min(1, { error: "warmStartFrom must be a study id" }).max(64).optional(),
};

/** A field the spec does not have is refused by name (`epochs` is not `maxEpochs`), never ignored. */
export const createStudyInputSchema = z.strictObject(studySpecFields, {
  error: (issue) =>
    issue.code === "unrecognized_keys"
      ? unknownFieldMessage(issue.keys, Object.keys(studySpecFields))
      : undefined,
});

/** `unknown field "epochs" (did you mean maxEpochs?); a study spec has name, task, ...` */
export function unknownFieldMessage(keys: readonly string[], known: readonly string[]): string {
  const near = (key: string) =>
    known.filter(
      (k) => k.toLowerCase().includes(key.toLowerCase()) || key.toLowerCase().includes(k.toLowerCase()),
    );
  const hints = keys.length === 1 ? near(keys[0]!) : [];
  const hint = hints.length ? ` (did you mean ${hints.join(" or ")}?)` : "";
  return `unknown field${keys.length > 1 ? "s" : ""} ${keys.map((k) => JSON.stringify(k)).join(", ")}${hint}; a study spec has ${known.join(", ")}`;
}

export type CreateStudyInput = z.input<typeof createStudyInputSchema>;
export type CreateStudySpec = z.output<typeof createStudyInputSchema>;

/** Field → first message, for forms and API error bodies. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    // An unknown field is reported under its own name, like any other field at fault.
    const paths =
      issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of paths) {
      const key = path.join(".") || "_";
      if (!(key in out)) out[key] = issue.message;
    }
  }
  return out;
}
export * from "./fitSchema.ts";
