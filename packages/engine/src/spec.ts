import { z } from "zod";
import { DatasetError, parseDatasetJson } from "./data/dataset.ts";
import { CLOSURE_FOLDABLE_SUBSETS, DatasetLimitError } from "./data/limits.ts";
import { DEFAULT_LEARNING_RATE, hyperparametersSchema } from "./hyperparameters.ts";
import type { Activation, Initializer } from "./model/mlp.ts";
import { parseTabularSource, tabularSourceSchema } from "./tasks/tabular.ts";
import { checkTheory } from "./tasks/theory.ts";
import type { OptimiserName } from "./train/optimisers.ts";

export type ParamValue = number | string | boolean;

export interface TrialSpec {
  task:
    | { kind: "closure"; level: 0 | 1 | 2; seed: number }
    | { kind: "tabular"; dataset: unknown }
    | { kind: "theory"; dataset: unknown };
  replicas: number;
  folds: number;
  seed: number;
  maxEpochs: number;
  reportEvery: number;
  params: Record<string, ParamValue>;
  backend?: "wasm" | "cpu" | "webgpu" | "tensorflow";
}

const taskSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("closure"),
    level: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    seed: z.number().int(),
  }),
  // Shapes and limits only (linear in the dataset's size): the covariance is built and factorised
  // once, by the task (buildTask), which names a covariance that is not positive definite.
  z.object({ kind: z.literal("tabular"), dataset: z.unknown() }).superRefine((t, ctx) => {
    try {
      parseDatasetJson(parseTabularSource(t.dataset));
    } catch (e) {
      if (e instanceof DatasetError || e instanceof DatasetLimitError || e instanceof Error)
        ctx.addIssue({ code: "custom", message: e.message, path: ["dataset"] });
    }
  }),
  // Limits, schema and FK shapes (linear); the covariance is built by the task as for tabular data.
  z.object({ kind: z.literal("theory"), dataset: z.unknown() }).superRefine((t, ctx) => {
    try {
      checkTheory(t.dataset);
    } catch (e) {
      if (e instanceof Error) ctx.addIssue({ code: "custom", message: e.message, path: ["dataset"] });
    }
  }),
]);
void tabularSourceSchema;

// The hyperparameters' names, bounds and defaults live in one registry (hyperparameters.ts).
export { hyperparametersSchema };

const closureFoldable = CLOSURE_FOLDABLE_SUBSETS;

export const trialSpecSchema: z.ZodType<TrialSpec> = z
  .object({
    task: taskSchema,
    replicas: z.number().int().min(1).max(2000),
    folds: z.number().int().min(1).max(50),
    seed: z.number().int(),
    maxEpochs: z.number().int().min(1).max(1_000_000),
    reportEvery: z.number().int().min(1),
    params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
    backend: z.enum(["wasm", "cpu", "webgpu", "tensorflow"]).optional(),
  })
  .superRefine((s, ctx) => {
    const r = hyperparametersSchema.safeParse(s.params);
    if (!r.success)
      for (const i of r.error.issues)
        ctx.addIssue({ code: "custom", message: i.message, path: ["params", ...i.path.map(String)] });
    if (s.task.kind === "closure" && s.folds > closureFoldable)
      ctx.addIssue({
        code: "custom",
        message: `the closure task has ${closureFoldable} sub-datasets that can be held out`,
        path: ["folds"],
      });
  });

export interface Hyperparameters {
  hidden: number[];
  activation: Activation;
  initializer: Initializer;
  dropout: number;
  optimizer: OptimiserName;
  learningRate: number;
  clipnorm?: number;
  momentum: number;
  stoppingPatience: number;
  positivity: number | undefined;
  trainingFraction: number;
  averageBest: boolean;
}

export function parseHyperparameters(params: Record<string, ParamValue>): Hyperparameters {
  const r = hyperparametersSchema.safeParse(params);
  if (!r.success) throw new TrialSpecError(r.error, ["params"]);
  const p = r.data;
  const hidden = [p.units_1, p.units_2, p.units_3, p.units_4].slice(0, p.n_layers);
  return {
    hidden,
    activation: p.activation,
    initializer: p.initializer,
    dropout: p.dropout,
    optimizer: p.optimizer,
    learningRate: p.learning_rate ?? DEFAULT_LEARNING_RATE[p.optimizer],
    ...(p.clipnorm !== undefined ? { clipnorm: p.clipnorm } : {}),
    momentum: p.momentum,
    stoppingPatience: p.stopping_patience,
    positivity: p.positivity ? p.positivity_lambda : undefined,
    trainingFraction: p.training_fraction,
    averageBest: p.average_best,
  };
}

/** Parse a spec; the thrown error's message names every offending field by its path. */
export function parseTrialSpec(input: unknown): TrialSpec {
  const r = trialSpecSchema.safeParse(input);
  if (!r.success) throw new TrialSpecError(r.error);
  return r.data;
}

export class TrialSpecError extends Error {
  readonly issues: { path: string; message: string }[];
  constructor(zodError: z.ZodError, prefix: string[] = []) {
    const issues = zodError.issues.map((i) => ({
      path: [...prefix, ...i.path.map(String)].join(".") || "(root)",
      message: i.message,
    }));
    super(`invalid trial spec: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    this.name = "TrialSpecError";
    this.issues = issues;
  }
}
