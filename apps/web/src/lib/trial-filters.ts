import { z } from "zod";

/**
 * Range filters on a study's trials: one per hyperparameter (min/max for numbers, a value set for
 * categoricals) plus the objective. The brush on the parallel coordinates and the table's range inputs
 * write the same filters; the server filters the table with them (SQL) and the charts with
 * `matchesFilters`, so "brushed" means the same thing everywhere. Filters combine with AND.
 */

/** The trials table's fixed sort keys: one list for the table (URL `tsort`) and the `study.trials` schema. */
export const TRIAL_SORTS = [
  "number",
  "state",
  "L1",
  "L2",
  "L3",
  "phi2",
  "duration",
  // Closure estimators (closure tasks only; other trials sort last).
  "bias",
  "variance",
  "closureRatio",
] as const;
/** A fixed key, or `param:<name>`: by one hyperparameter's value (numbers numerically, then text). */
export type TrialSort = (typeof TRIAL_SORTS)[number] | `param:${string}`;

/** The objective's key: not a valid parameter name (those start with a letter or _), so it never clashes. */
export const OBJECTIVE_KEY = "@objective";
export const MAX_FILTERS = 16;
export const MAX_FILTER_VALUES = 50;
export const MAX_FILTER_VALUE_LENGTH = 200;

const PARAMETER = "[A-Za-z_][A-Za-z0-9_\\-/]{0,127}";
const PARAM_NAME = new RegExp(`^(?:${PARAMETER}|@objective)$`);
const PARAM_SORT = new RegExp(`^param:${PARAMETER}$`);

/** The parameter a `param:<name>` sort orders by; null for the fixed keys. */
export const sortedParam = (sort: string): string | null => (PARAM_SORT.test(sort) ? sort.slice(6) : null);

export function isTrialSort(sort: string): sort is TrialSort {
  return (TRIAL_SORTS as readonly string[]).includes(sort) || PARAM_SORT.test(sort);
}

export const ZTrialSort = z
  .string()
  .refine(isTrialSort, { error: `sort must be one of ${TRIAL_SORTS.join(", ")}, or param:<parameter name>` })
  .transform((s) => s as TrialSort);

export type FilterValue = string | number | boolean;
export type TrialFilter =
  | { name: string; min?: number; max?: number }
  | { name: string; values: FilterValue[] };

const ZName = z.string().regex(PARAM_NAME, { error: "filters: name must be a parameter name or @objective" });
const ZBound = (field: "min" | "max") =>
  z.number({ error: `filters: ${field} must be a number` }).refine(Number.isFinite, {
    error: `filters: ${field} must be finite`,
  });

// One object shape for both kinds (a union would hide the inner field's message behind its own).
const ZTrialFilter = z
  .object({
    name: ZName,
    min: ZBound("min").optional(),
    max: ZBound("max").optional(),
    values: z
      .array(
        z.union([z.string(), z.number().refine(Number.isFinite), z.boolean()], {
          error: "filters: values must be strings, numbers or booleans",
        }),
      )
      .min(1, { error: "filters: values needs at least one value" })
      .max(MAX_FILTER_VALUES, { error: `filters: at most ${MAX_FILTER_VALUES} values` })
      .refine((vs) => vs.every((v) => typeof v !== "string" || v.length <= MAX_FILTER_VALUE_LENGTH), {
        error: `filters: values must be at most ${MAX_FILTER_VALUE_LENGTH} characters`,
      })
      .optional(),
  })
  .strict()
  .refine((f) => (f.values === undefined) !== (f.min === undefined && f.max === undefined), {
    error: "filters: each needs min/max (a range) or values (a set), not both",
  })
  .refine((f) => f.min === undefined || f.max === undefined || f.min <= f.max, {
    error: "filters: min must not exceed max",
  });

export const ZTrialFilters = z
  .array(ZTrialFilter)
  .max(MAX_FILTERS, { error: `filters: at most ${MAX_FILTERS} filters` })
  .refine((fs) => new Set(fs.map((f) => f.name)).size === fs.length, {
    error: "filters: one filter per name",
  });

export const isSetFilter = (f: TrialFilter): f is { name: string; values: FilterValue[] } => "values" in f;

/** A trial as the charts hold it: does it pass every filter? A parameter it lacks fails that filter. */
export function matchesFilters(
  trial: { value: number | null; params: Record<string, FilterValue> },
  filters: readonly TrialFilter[],
): boolean {
  return filters.every((f) => {
    const v = f.name === OBJECTIVE_KEY ? trial.value : trial.params[f.name];
    if (v === undefined || v === null) return false;
    if (isSetFilter(f)) return f.values.some((w) => w === v);
    if (typeof v !== "number") return false;
    return (f.min === undefined || v >= f.min) && (f.max === undefined || v <= f.max);
  });
}

/** Replaces (or with null removes) the filter on `name`, keeping the others' order. */
export function withFilter(
  filters: readonly TrialFilter[],
  name: string,
  next: TrialFilter | null,
): TrialFilter[] {
  const rest = filters.filter((f) => f.name !== name);
  return next ? [...rest, next] : rest;
}

// URL form (one `tf` key): `name:min:max` for ranges (an empty bound is open) and
// `name=v1,v2` for sets, each value JSON then URI-encoded so its type and any separators survive;
// filters joined by `;`. Example: `learning_rate:0.001:0.01;activation=%22tanh%22`.

export function encodeFilters(filters: readonly TrialFilter[]): string {
  return filters
    .map((f) =>
      isSetFilter(f)
        ? `${f.name}=${f.values.map((v) => encodeURIComponent(JSON.stringify(v))).join(",")}`
        : `${f.name}:${f.min ?? ""}:${f.max ?? ""}`,
    )
    .join(";");
}

/** The filters in a URL value; anything malformed or over the limits yields no filters (never a throw). */
export function parseFilters(raw: string | null): TrialFilter[] {
  if (!raw) return [];
  const out: TrialFilter[] = [];
  for (const part of raw.split(";")) {
    const eq = part.indexOf("=");
    const colon = part.indexOf(":");
    if (eq > 0 && (colon < 0 || eq < colon)) {
      try {
        const values = part
          .slice(eq + 1)
          .split(",")
          .map((v) => JSON.parse(decodeURIComponent(v)) as unknown);
        out.push({ name: part.slice(0, eq), values: values as FilterValue[] });
      } catch {
        return [];
      }
    } else {
      const [name, lo, hi, ...extra] = part.split(":");
      if (extra.length > 0 || name === undefined || lo === undefined || hi === undefined) return [];
      out.push({
        name,
        ...(lo !== "" ? { min: Number(lo) } : {}),
        ...(hi !== "" ? { max: Number(hi) } : {}),
      });
    }
  }
  const parsed = ZTrialFilters.safeParse(out);
  return parsed.success ? (parsed.data as TrialFilter[]) : [];
}
