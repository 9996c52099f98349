import { z } from "zod";
import { DatasetError, parseDatasetJson } from "./data/dataset.ts";
import { DatasetLimitError } from "./data/limits.ts";
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

const optimisers = ["adam", "nadam", "amsgrad", "rmsprop", "sgd", "adadelta"] as const;
const defaultLearningRate: Record<OptimiserName, number> = {
  adam: 1e-3,
  nadam: 1e-3,
  amsgrad: 1e-3,
  rmsprop: 1e-3,
  sgd: 1e-2,
  adadelta: 1.0,
};

const units = z.number().int().min(1).max(4096);
/** Hyperparameters with their defaults; unknown names are ignored (the sampler may add its own). */
export const hyperparametersSchema = z.object({
  n_layers: z.number().int().min(1).max(4).default(2),
  units_1: units.default(25),
  units_2: units.default(20),
  units_3: units.default(15),
  units_4: units.default(10),
  activation: z.enum(["tanh", "sigmoid", "relu", "linear"]).default("tanh"),
  initializer: z.enum(["glorot_normal", "glorot_uniform"]).default("glorot_normal"),
  dropout: z.number().min(0).max(0.5).default(0),
  optimizer: z.enum(optimisers).default("adam"),
  learning_rate: z.number().positive().max(100).optional(),
  clipnorm: z.number().positive().optional(),
  momentum: z.number().min(0).max(0.999).default(0),
  stopping_patience: z.number().gt(0).max(1).default(0.2),
  positivity: z.boolean().default(false),
  positivity_lambda: z.number().min(0).default(10),
  training_fraction: z.number().gt(0).lt(1).default(0.75),
  average_best: z.boolean().default(false),
});

/** Sub-datasets of the closure task that may be held out (all but the two edge ones). */
const closureFoldable = 6;

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
    learningRate: p.learning_rate ?? defaultLearningRate[p.optimizer],
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
