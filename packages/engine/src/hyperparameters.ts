/**
 * The trainer's hyperparameters: one registry (name, type, bounds or choices, default, meaning) that
 * the trainer's own parser, the check of a study's search space at creation, the form's parameter
 * picker, docs/api.md's table and the OpenAPI schema all derive from. Pure (zod only), so client
 * components import it.
 */
import { z } from "zod";
import type { Activation, Initializer } from "./model/mlp.ts";
import { parseSearchSpace, type SearchSpace, SearchSpaceError } from "./search/space.ts";
import type { OptimiserName } from "./train/optimisers.ts";

type Value = number | string | boolean;

export interface HyperparameterInfo {
  name: string;
  type: "int" | "float" | "categorical" | "boolean";
  /** Numeric bounds; absent means unbounded on that side. */
  low?: number;
  high?: number;
  /** The bound itself is outside the domain (`learning_rate > 0`). */
  lowExclusive?: boolean;
  highExclusive?: boolean;
  choices?: readonly string[];
  /** The value when a study leaves it out; null when it is derived (see `meaning`). */
  default: Value | null;
  meaning: string;
}

interface Entry<S extends z.ZodType> {
  info: HyperparameterInfo;
  schema: S;
}

type Bounds = { low?: number; high?: number; lowExclusive?: boolean; highExclusive?: boolean };

function numberSchema(int: boolean, b: Bounds) {
  let s = z.number();
  if (int) s = s.int();
  if (b.low !== undefined) s = b.lowExclusive ? s.gt(b.low) : s.min(b.low);
  if (b.high !== undefined) s = b.highExclusive ? s.lt(b.high) : s.max(b.high);
  return s;
}

function numeric(type: "int" | "float", b: Bounds & { default: number; meaning: string }) {
  const { default: dflt, meaning, ...bounds } = b;
  return {
    info: { name: "", type, ...bounds, default: dflt, meaning },
    schema: numberSchema(type === "int", bounds).default(dflt),
  } satisfies Entry<z.ZodType>;
}

/** A number with no default of its own (derived by the trainer when left out). */
function derived(b: Bounds & { meaning: string }) {
  const { meaning, ...bounds } = b;
  return {
    info: { name: "", type: "float", ...bounds, default: null, meaning },
    schema: numberSchema(false, bounds).optional(),
  } satisfies Entry<z.ZodType>;
}

function categorical<const C extends readonly [string, ...string[]]>(
  choices: C,
  b: { default: C[number]; meaning: string },
) {
  return {
    info: { name: "", type: "categorical", choices, default: b.default, meaning: b.meaning },
    schema: z.enum(choices).default(b.default as never) as unknown as z.ZodDefault<
      z.ZodEnum<{ [K in C[number]]: K }>
    >,
  } satisfies Entry<z.ZodType>;
}

function flag(b: { default: boolean; meaning: string }) {
  return {
    info: { name: "", type: "boolean", default: b.default, meaning: b.meaning },
    schema: z.boolean().default(b.default),
  } satisfies Entry<z.ZodType>;
}

export const OPTIMISERS = [
  "adam",
  "nadam",
  "amsgrad",
  "rmsprop",
  "sgd",
  "adadelta",
] as const satisfies readonly OptimiserName[];
const ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"] as const satisfies readonly Activation[];
const INITIALIZERS = ["glorot_normal", "glorot_uniform"] as const satisfies readonly Initializer[];

/** The learning rate an optimiser trains with when the study does not set one. */
export const DEFAULT_LEARNING_RATE: Record<OptimiserName, number> = {
  adam: 1e-3,
  nadam: 1e-3,
  amsgrad: 1e-3,
  rmsprop: 1e-3,
  sgd: 1e-2,
  adadelta: 1.0,
};

const units = (k: number, dflt: number) =>
  numeric("int", {
    low: 1,
    high: 4096,
    default: dflt,
    meaning: `units of hidden layer ${k} (used when n_layers >= ${k})`,
  });

const REGISTRY = {
  n_layers: numeric("int", { low: 1, high: 4, default: 2, meaning: "number of hidden layers" }),
  units_1: units(1, 25),
  units_2: units(2, 20),
  units_3: units(3, 15),
  units_4: units(4, 10),
  activation: categorical(ACTIVATIONS, { default: "tanh", meaning: "activation of the hidden layers" }),
  initializer: categorical(INITIALIZERS, { default: "glorot_normal", meaning: "weight initialiser" }),
  dropout: numeric("float", { low: 0, high: 0.5, default: 0, meaning: "dropout rate of the hidden layers" }),
  optimizer: categorical(OPTIMISERS, { default: "adam", meaning: "gradient optimiser" }),
  learning_rate: derived({
    low: 0,
    lowExclusive: true,
    high: 100,
    meaning:
      "optimiser step size; default by optimiser: 1e-3 (adam, nadam, amsgrad, rmsprop), 1e-2 (sgd), 1.0 (adadelta)",
  }),
  clipnorm: derived({
    low: 0,
    lowExclusive: true,
    meaning: "clip each gradient to this global norm; no clipping when left out",
  }),
  momentum: numeric("float", { low: 0, high: 0.999, default: 0, meaning: "momentum of sgd and rmsprop" }),
  stopping_patience: numeric("float", {
    low: 0,
    lowExclusive: true,
    high: 1,
    default: 0.2,
    meaning: "early-stopping patience, as a fraction of maxEpochs",
  }),
  positivity: flag({ default: false, meaning: "penalise negative model outputs (positivity constraint)" }),
  positivity_lambda: numeric("float", {
    low: 0,
    default: 10,
    meaning: "Lagrange multiplier of the positivity penalty (when positivity is true)",
  }),
  training_fraction: numeric("float", {
    low: 0,
    lowExclusive: true,
    high: 1,
    highExclusive: true,
    default: 0.75,
    meaning: "fraction of each replica's points used for training; the rest is its validation set",
  }),
  average_best: flag({
    default: false,
    meaning:
      "score each fold on the mean χ² of the best 90% of replicas instead of all of them (NNPDF's average_best)",
  }),
};

type Registry = typeof REGISTRY;
export type HyperparameterName = keyof Registry;

/** Every hyperparameter the trainer reads, in the registry's order. */
export const HYPERPARAMETERS: readonly HyperparameterInfo[] = Object.entries(REGISTRY).map(
  ([name, entry]) => ({ ...entry.info, name }),
);

export function hyperparameter(name: string): HyperparameterInfo | undefined {
  return HYPERPARAMETERS.find((h) => h.name === name);
}

/** The trainer's parser (defaults filled); unknown names pass through untouched (old studies run on). */
export const hyperparametersSchema = z.object(
  Object.fromEntries(Object.entries(REGISTRY).map(([name, e]) => [name, e.schema])) as {
    [K in HyperparameterName]: Registry[K]["schema"];
  },
);

/** The domain in words, for messages and the docs table: `1 to 4`, `> 0`, `adam, sgd, …`. */
export function describeDomain(h: HyperparameterInfo): string {
  if (h.type === "categorical") return (h.choices ?? []).join(", ");
  if (h.type === "boolean") return "true, false";
  const lo = h.low === undefined ? "" : `${h.lowExclusive ? ">" : "≥"} ${h.low}`;
  const hi = h.high === undefined ? "" : `${h.highExclusive ? "<" : "≤"} ${h.high}`;
  return [lo, hi].filter(Boolean).join(" and ") + (h.type === "int" ? ", whole" : "");
}

/** Whether one value lies in the trainer's domain for `h`. */
function domainProblem(h: HyperparameterInfo, v: unknown): string | undefined {
  const domain = `${h.name} takes ${describeDomain(h)}`;
  if (h.type === "categorical")
    return typeof v === "string" && h.choices?.includes(v)
      ? undefined
      : `${JSON.stringify(v)} is not a value the trainer knows (${domain})`;
  if (h.type === "boolean") return typeof v === "boolean" ? undefined : `must be true or false (${domain})`;
  if (typeof v !== "number" || !Number.isFinite(v)) return `must be a number (${domain})`;
  if (h.type === "int" && !Number.isInteger(v)) return `must be a whole number (${domain})`;
  if (h.low !== undefined && (h.lowExclusive ? v <= h.low : v < h.low))
    return `${v} is below the trainer's bound (${domain})`;
  if (h.high !== undefined && (h.highExclusive ? v >= h.high : v > h.high))
    return `${v} is above the trainer's bound (${domain})`;
  return undefined;
}

export interface HyperparameterIssue {
  path: (string | number)[];
  message: string;
}

function unknownName(name: string): string {
  const near = HYPERPARAMETERS.map((h) => h.name).filter((n) => editDistance(n, name) <= 2);
  const hint = near.length ? ` (did you mean ${near.join(" or ")}?)` : "";
  return `unknown hyperparameter "${name}"${hint}; the trainer takes ${HYPERPARAMETERS.map((h) => h.name).join(", ")}`;
}

/**
 * Checks a parsed search space against the trainer: every name known, each range inside the
 * trainer's bounds, each categorical value one it knows. Paths are relative to the space.
 */
export function trainerSpaceIssues(space: SearchSpace): HyperparameterIssue[] {
  const issues: HyperparameterIssue[] = [];
  for (const [name, spec] of Object.entries(space)) {
    const h = hyperparameter(name);
    if (!h) {
      issues.push({ path: [name], message: unknownName(name) });
      continue;
    }
    if (spec.type === "categorical") {
      spec.choices.forEach((c, i) => {
        const problem = domainProblem(h, c);
        if (problem) issues.push({ path: [name, "choices", i], message: problem });
      });
      continue;
    }
    if (h.type === "categorical" || h.type === "boolean") {
      issues.push({
        path: [name, "type"],
        message: `must be categorical (${h.name} takes ${describeDomain(h)})`,
      });
      continue;
    }
    if (h.type === "int" && spec.type === "float") {
      issues.push({
        path: [name, "type"],
        message: `must be int or categorical (${h.name} is a whole number)`,
      });
      continue;
    }
    for (const end of ["low", "high"] as const) {
      const problem = domainProblem(h, spec[end]);
      if (problem) issues.push({ path: [name, end], message: problem });
    }
  }
  return issues;
}

/** A fixed setting's value: what a sampled parameter can be (a JSON scalar). */
export type FixedValue = number | string | boolean;

/**
 * Checks a study's fixed settings (name → value, the same for every trial): each value a JSON
 * scalar, no name also searched (`also in searchSpace`), and, when the platform's trainer trains
 * (`trainer`), each name one it knows and each value inside its domain. An external study's own code
 * trains, so its names are its own. Paths are relative to `fixed`.
 */
export function fixedSettingsIssues(
  fixed: Record<string, unknown>,
  space: SearchSpace,
  { trainer }: { trainer: boolean },
): HyperparameterIssue[] {
  const issues: HyperparameterIssue[] = [];
  for (const [name, value] of Object.entries(fixed)) {
    const scalar =
      typeof value === "string" ||
      typeof value === "boolean" ||
      (typeof value === "number" && Number.isFinite(value));
    const h = trainer ? hyperparameter(name) : undefined;
    const problem =
      trainer && !h
        ? unknownName(name)
        : Object.hasOwn(space, name)
          ? "also in searchSpace: a parameter is either searched or fixed"
          : h
            ? domainProblem(h, value)
            : scalar
              ? undefined
              : "must be a number, a string or a boolean";
    if (problem) issues.push({ path: [name], message: problem });
  }
  return issues;
}

/**
 * A study's search space: parsed (ours or Optuna's form) and checked against the trainer. Throws
 * SearchSpaceError naming each field (`learning_rate.low: ...`), as the parser does.
 */
export function parseTrainerSearchSpace(input: unknown): SearchSpace {
  const space = parseSearchSpace(input);
  const issues = trainerSpaceIssues(space);
  if (issues.length > 0) throw new SearchSpaceError(issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  return space;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
