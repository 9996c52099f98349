/**
 * Search spaces: Optuna's distribution vocabulary (float, int, categorical with low/high/log/step)
 * plus conditions, so a parameter can exist only when another takes given values (units of layer 3
 * only when n_layers >= 3; a learning-rate range per optimiser). Parsing enforces Optuna's
 * invariants and names the offending field in every message.
 */
import YAML from "yaml";
import { z } from "zod";
import { fromOptunaEntry, isOptunaEntry } from "./optuna-distribution.ts";

export type ParamValue = number | string | boolean;

export const MAX_PARAMS = 256;
export const MAX_CHOICES = 1024;
export const MAX_CONDITION_DEPTH = 8;

const finite = z.number().refine(Number.isFinite, { message: "must be a finite number" });
const paramValueSchema = z.union([z.number(), z.string().max(256), z.boolean()]);

const conditionSchema = z
  .object({
    param: z.string().min(1),
    in: z.array(paramValueSchema).min(1).max(MAX_CHOICES).optional(),
    gte: finite.optional(),
    lte: finite.optional(),
  })
  .strict()
  .refine((c) => c.in !== undefined || c.gte !== undefined || c.lte !== undefined, {
    message: "must give at least one of in, gte, lte",
  });

const whenSchema = z
  .union([conditionSchema, z.array(conditionSchema).min(1).max(MAX_CONDITION_DEPTH)])
  .transform((w) => (Array.isArray(w) ? w : [w]));

const floatSchema = z
  .object({
    type: z.literal("float"),
    low: finite,
    high: finite,
    log: z.boolean().default(false),
    step: z.number().optional().nullable(),
    when: whenSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.low > p.high) ctx.addIssue({ code: "custom", path: ["low"], message: "must be <= high" });
    if (p.log && p.low <= 0) {
      ctx.addIssue({ code: "custom", path: ["low"], message: "must be > 0 when log is true" });
    }
    if (p.step !== undefined && p.step !== null) {
      if (!(p.step > 0) || !Number.isFinite(p.step)) {
        ctx.addIssue({ code: "custom", path: ["step"], message: "must be > 0" });
      } else if (p.log) {
        ctx.addIssue({ code: "custom", path: ["step"], message: "cannot be combined with log" });
      } else if (!isMultiple(p.high - p.low, p.step)) {
        ctx.addIssue({ code: "custom", path: ["high"], message: "high - low must be a multiple of step" });
      }
    }
  })
  .transform(({ step, ...rest }): typeof rest & { step?: number } =>
    step === undefined || step === null ? rest : { ...rest, step },
  );

const intSchema = z
  .object({
    type: z.literal("int"),
    low: z.number().int({ message: "must be an integer" }),
    high: z.number().int({ message: "must be an integer" }),
    log: z.boolean().default(false),
    step: z.number().int({ message: "must be an integer" }).default(1),
    when: whenSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.low > p.high) ctx.addIssue({ code: "custom", path: ["low"], message: "must be <= high" });
    if (p.log && p.low < 1) {
      ctx.addIssue({ code: "custom", path: ["low"], message: "must be >= 1 when log is true" });
    }
    if (p.step < 1) ctx.addIssue({ code: "custom", path: ["step"], message: "must be >= 1" });
    else if (p.log && p.step !== 1) {
      ctx.addIssue({ code: "custom", path: ["step"], message: "must be 1 when log is true" });
    } else if ((p.high - p.low) % p.step !== 0) {
      ctx.addIssue({ code: "custom", path: ["high"], message: "high - low must be a multiple of step" });
    }
  });

const categoricalSchema = z
  .object({
    type: z.literal("categorical"),
    choices: z.array(paramValueSchema).min(1, { message: "must not be empty" }).max(MAX_CHOICES),
    when: whenSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.choices.forEach((c, i) => {
      const key = `${typeof c}:${String(c)}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["choices", i], message: "duplicate choice" });
      seen.add(key);
    });
  });

export const paramSpecSchema = z.discriminatedUnion("type", [floatSchema, intSchema, categoricalSchema]);

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_\-/]{0,127}$/;

/**
 * Names every plain object already answers to (`toString`, `constructor`, `__proto__`, ...). A lookup
 * by such a name finds the inherited member: a condition on `toString` would pass as a known
 * parameter and every sampler would then store `{"toString": null}`; a `__proto__` key is dropped
 * when a document is copied into an object. Refused as parameter names and condition parents; every
 * lookup by name below is by own key as well (ownSpec, ownValue).
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
  ...Object.getOwnPropertyNames(Object.prototype),
]);

export function isReservedName(name: string): boolean {
  return RESERVED_NAMES.has(name);
}

const reservedMessage = (name: string) =>
  `"${name}" is reserved (every JavaScript object has a member by that name): choose another name`;

/** The spec of parameter `name`, by own key only: never a member inherited from Object.prototype. */
export function ownSpec(space: Readonly<Record<string, ParamSpec>>, name: string): ParamSpec | undefined {
  return Object.hasOwn(space, name) ? space[name] : undefined;
}

/** The value of parameter `name` in an assignment, by own key only. */
export function ownValue<V = ParamValue>(params: Readonly<Record<string, V>>, name: string): V | undefined {
  return Object.hasOwn(params, name) ? params[name] : undefined;
}

/**
 * Reserved names are caught on the document as given, before the record parse: zod copies a record
 * into a fresh object and silently drops an own `__proto__` key (JSON.parse makes one).
 */
const reservedKeysSchema = z.unknown().superRefine((doc, ctx) => {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return;
  for (const name of Object.keys(doc)) {
    if (isReservedName(name)) ctx.addIssue({ code: "custom", path: [name], message: reservedMessage(name) });
  }
});

const paramRecordSchema = z.record(z.string(), paramSpecSchema).superRefine((space, ctx) => {
  const names = Object.keys(space);
  if (names.length === 0)
    ctx.addIssue({ code: "custom", path: [], message: "must define at least one parameter" });
  if (names.length > MAX_PARAMS) {
    ctx.addIssue({ code: "custom", path: [], message: `at most ${MAX_PARAMS} parameters` });
  }
  for (const name of names) {
    if (!PARAM_NAME.test(name)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "parameter names start with a letter or _ and use letters, digits, _ - / (max 128)",
      });
    }
    checkConditions(space, name, ctx);
  }
});

export const searchSpaceSchema = reservedKeysSchema.pipe(paramRecordSchema);

export type ParamSpec = z.output<typeof paramSpecSchema>;
export type FloatParam = Extract<ParamSpec, { type: "float" }>;
export type IntParam = Extract<ParamSpec, { type: "int" }>;
export type CategoricalParam = Extract<ParamSpec, { type: "categorical" }>;
export type NumericParam = FloatParam | IntParam;
export type Condition = z.output<typeof conditionSchema>;
export type SearchSpace = z.output<typeof searchSpaceSchema>;

type RefineCtx = {
  addIssue: (issue: { code: "custom"; path: (string | number)[]; message: string }) => void;
};

function checkConditions(space: Record<string, ParamSpec>, name: string, ctx: RefineCtx): void {
  const when = ownSpec(space, name)?.when ?? [];
  when.forEach((cond, i) => {
    const path = [name, "when", i, "param"];
    if (isReservedName(cond.param)) {
      ctx.addIssue({ code: "custom", path, message: reservedMessage(cond.param) });
      return;
    }
    const parent = ownSpec(space, cond.param);
    if (cond.param === name) {
      ctx.addIssue({ code: "custom", path, message: "cannot depend on itself" });
      return;
    }
    if (!parent) {
      ctx.addIssue({ code: "custom", path, message: `unknown parameter "${cond.param}"` });
      return;
    }
    if (parent.type === "categorical" && (cond.gte !== undefined || cond.lte !== undefined)) {
      ctx.addIssue({ code: "custom", path: [name, "when", i], message: "gte/lte need a numeric parameter" });
    }
    cond.in?.forEach((v, j) => {
      if (!containsValue(parent, v)) {
        ctx.addIssue({
          code: "custom",
          path: [name, "when", i, "in", j],
          message: `${JSON.stringify(v)} is not a value of "${cond.param}"`,
        });
      }
    });
  });
  const depth = conditionDepth(space, name, new Set());
  if (depth === Number.POSITIVE_INFINITY) {
    ctx.addIssue({ code: "custom", path: [name, "when"], message: "conditions form a cycle" });
  } else if (depth > MAX_CONDITION_DEPTH) {
    ctx.addIssue({
      code: "custom",
      path: [name, "when"],
      message: `conditions nest deeper than ${MAX_CONDITION_DEPTH}`,
    });
  }
}

function conditionDepth(space: Record<string, ParamSpec>, name: string, visiting: Set<string>): number {
  if (visiting.has(name)) return Number.POSITIVE_INFINITY;
  const when = ownSpec(space, name)?.when;
  if (!when) return 0;
  visiting.add(name);
  let depth = 0;
  for (const c of when)
    if (ownSpec(space, c.param)) depth = Math.max(depth, 1 + conditionDepth(space, c.param, visiting));
  visiting.delete(name);
  return depth;
}

function isMultiple(span: number, step: number): boolean {
  const k = span / step;
  return Math.abs(k - Math.round(k)) < 1e-8 * Math.max(1, Math.abs(k));
}

/** A search space document was invalid; `issues` carries one `path: message` line per problem. */
export class SearchSpaceError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid search space:\n  ${issues.join("\n  ")}`);
    this.name = "SearchSpaceError";
  }

  /** The issues as field and message ("a.when.0.param", "..."), for forms and API field errors. */
  get fields(): { path: string; message: string }[] {
    return this.issues.map((text) => {
      const at = text.indexOf(": ");
      return at > 0
        ? { path: text.slice(0, at), message: text.slice(at + 2) }
        : { path: "(document)", message: text };
    });
  }
}

/** Parses a search space given as an object or a YAML/JSON string. Throws SearchSpaceError. */
export function parseSearchSpace(input: unknown): SearchSpace {
  let doc = input;
  if (typeof input === "string") {
    try {
      doc = YAML.parse(input, { logLevel: "error" });
    } catch (err) {
      throw new SearchSpaceError([
        `(document): not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}`,
      ]);
    }
  }
  const normalised = fromOptunaEntries(doc);
  if ("issues" in normalised) throw new SearchSpaceError(normalised.issues);
  const result = searchSpaceSchema.safeParse(normalised.doc);
  if (!result.success) {
    throw new SearchSpaceError(
      result.error.issues.map(
        (issue) => `${issue.path.length ? issue.path.join(".") : "(document)"}: ${issue.message}`,
      ),
    );
  }
  return result.data;
}

/**
 * Entries in Optuna's `distribution_to_json` form (objects or strings, legacy names too) become ours;
 * the rest pass through as given. Null prototype: an own `__proto__` key stays, to be refused by name.
 */
function fromOptunaEntries(doc: unknown): { doc: unknown } | { issues: string[] } {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return { doc };
  if (!Object.values(doc).some(isOptunaEntry)) return { doc };
  const out: Record<string, unknown> = Object.create(null);
  const issues: string[] = [];
  for (const [name, raw] of Object.entries(doc)) {
    if (!isOptunaEntry(raw)) {
      out[name] = raw;
      continue;
    }
    const read = fromOptunaEntry(raw);
    if ("spec" in read) out[name] = read.spec;
    else issues.push(`${[name, ...read.issue.path].join(".")}: ${read.issue.message}`);
  }
  return issues.length ? { issues } : { doc: out };
}

/** True when the value lies in the parameter's domain (on the grid for step/int parameters). */
export function containsValue(spec: ParamSpec, value: unknown): boolean {
  if (spec.type === "categorical") return spec.choices.some((c) => c === value);
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  const eps = 1e-12 * Math.max(1, Math.abs(spec.low), Math.abs(spec.high));
  if (value < spec.low - eps || value > spec.high + eps) return false;
  if (spec.type === "int") return Number.isInteger(value) && (value - spec.low) % spec.step === 0;
  return spec.step === undefined || isMultiple(value - spec.low, spec.step);
}

function conditionHolds(cond: Condition, value: ParamValue | undefined): boolean {
  if (value === undefined) return false;
  if (cond.in && !cond.in.some((v) => v === value)) return false;
  if (cond.gte !== undefined && !(typeof value === "number" && value >= cond.gte)) return false;
  if (cond.lte !== undefined && !(typeof value === "number" && value <= cond.lte)) return false;
  return true;
}

/** Whether a parameter is active given the values of the parameters it depends on. */
export function isActive(spec: ParamSpec, params: Readonly<Record<string, ParamValue>>): boolean {
  return (spec.when ?? []).every((c) => conditionHolds(c, ownValue(params, c.param)));
}

/** Parameter names with every parameter after the ones its conditions read. */
export function orderedParamNames(space: SearchSpace): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const visit = (name: string) => {
    if (placed.has(name)) return;
    placed.add(name);
    for (const c of ownSpec(space, name)?.when ?? []) visit(c.param);
    order.push(name);
  };
  for (const name of Object.keys(space)) visit(name);
  return order;
}

/** Builds a full assignment in dependency order, calling `pick` for each active parameter only. */
export function assignActive(
  space: SearchSpace,
  pick: (name: string, spec: ParamSpec, partial: Record<string, ParamValue>) => ParamValue,
): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  for (const name of orderedParamNames(space)) {
    const spec = ownSpec(space, name);
    if (spec && isActive(spec, params)) params[name] = pick(name, spec, params);
  }
  return params;
}

/** Checks a whole assignment: every active parameter present and valid, no inactive or unknown one. */
export function validateParams(space: SearchSpace, params: Readonly<Record<string, ParamValue>>): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(params))
    if (!ownSpec(space, name)) problems.push(`${name}: not in the search space`);
  for (const name of orderedParamNames(space)) {
    const spec = ownSpec(space, name);
    if (!spec) continue;
    const active = isActive(spec, params);
    const value = ownValue(params, name);
    if (active && value === undefined) problems.push(`${name}: missing`);
    else if (!active && value !== undefined) problems.push(`${name}: given but inactive`);
    else if (active && !containsValue(spec, value))
      problems.push(`${name}: ${JSON.stringify(value)} is outside its domain`);
  }
  return problems;
}

/** Maps a numeric value to the model's internal scale (log for log parameters). */
export function toInternal(spec: NumericParam, value: number): number {
  return spec.log ? Math.log(value) : value;
}

/** Internal-scale bounds; int and stepped parameters widen by half a step so each grid point has equal mass. */
export function internalBounds(spec: NumericParam): [number, number] {
  if (spec.type === "int") {
    return spec.log
      ? [Math.log(spec.low - 0.5), Math.log(spec.high + 0.5)]
      : [spec.low - spec.step / 2, spec.high + spec.step / 2];
  }
  if (spec.log) return [Math.log(spec.low), Math.log(spec.high)];
  if (spec.step !== undefined) return [spec.low - spec.step / 2, spec.high + spec.step / 2];
  return [spec.low, spec.high];
}

/** Maps an internal-scale number back into the domain: exponentiate, snap to the grid, clip. */
export function fromInternal(spec: NumericParam, x: number): number {
  let v = spec.log ? Math.exp(x) : x;
  if (spec.type === "int" || spec.step !== undefined) {
    const step = spec.type === "int" ? spec.step : (spec.step as number);
    v = spec.low + Math.round((v - spec.low) / step) * step;
    if (spec.type === "float") v = Number.parseFloat(v.toPrecision(15));
  }
  return Math.min(spec.high, Math.max(spec.low, v));
}

/** Unit-cube coordinate of a value in [0, 1] (after log), for samplers that work in the cube. */
export function toUnit(spec: NumericParam, value: number): number {
  const [lo, hi] = internalBounds(spec);
  return hi > lo ? (toInternal(spec, value) - lo) / (hi - lo) : 0.5;
}

/** Inverse of toUnit, snapping to the domain. */
export function fromUnit(spec: NumericParam, u: number): number {
  const [lo, hi] = internalBounds(spec);
  return fromInternal(spec, lo + Math.min(1, Math.max(0, u)) * (hi - lo));
}
