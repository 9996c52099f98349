import { ownValue, parseSearchSpace, toOptunaJson } from "@hyperensemble/engine/search";
import { parseStudyRow, studyObjectives } from "@hyperensemble/platform";
import type { OrgContext } from "../../context-types";
import { assertStudyInOrg } from "../trial/list.handler";
import { type JournalTrial, optunaJournal } from "./optuna-journal";
import type { ExportStudyInput } from "./study.schema";

type ParamValue = string | number | boolean | null;

interface ExportTrial {
  number: number;
  state: JournalTrial["state"];
  params: Record<string, ParamValue>;
  startedAt: Date | null;
  finishedAt: Date | null;
  attempt: number;
  error: string | null;
  result: {
    value: number;
    L1: number;
    L2: number;
    L3: number;
    phi2: number;
    foldChi2: number[];
    foldPhi2: number[];
    foldCentralChi2: number[];
    replicaChi2: number[];
    closureBias: number | null;
    closureVariance: number | null;
    epochs: number;
    backend: string;
    durationSeconds: number;
  } | null;
  intermediate: { step: number; value: number }[];
}

/** Everything a result holds but its predictions (large, and per data point rather than per trial). */
const RESULT_FIELDS = {
  value: true,
  L1: true,
  L2: true,
  L3: true,
  phi2: true,
  foldChi2: true,
  foldPhi2: true,
  foldCentralChi2: true,
  replicaChi2: true,
  closureBias: true,
  closureVariance: true,
  epochs: true,
  backend: true,
  durationSeconds: true,
} as const;

async function loadTrials(ctx: OrgContext, input: ExportStudyInput) {
  const study = await assertStudyInOrg(ctx, input.studyId);
  const rows = await ctx.orgDb.trial.findMany({
    where: { orgId: ctx.org.id, studyId: study.id },
    orderBy: { number: "asc" },
    include: {
      result: { select: RESULT_FIELDS },
      intermediate: { select: { step: true, value: true }, orderBy: { step: "asc" } },
    },
  });
  const trials: ExportTrial[] = rows.map((t) => ({
    number: t.number,
    state: t.state,
    params: (t.params ?? {}) as Record<string, ParamValue>,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
    attempt: t.attempt,
    error: t.error,
    result: t.result,
    intermediate: t.intermediate,
  }));
  return { study, trials };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** pandas' Timestamp as Optuna's trials_dataframe().to_csv() writes it (UTC, microseconds). */
export function pandasDatetime(d: Date | null): string {
  if (!d) return "";
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`
  );
}

/** pandas' Timedelta string: `0 days 00:01:02.345000`. */
export function pandasDuration(start: Date | null, end: Date | null): string {
  if (!start || !end) return "";
  const ms = Math.max(0, end.getTime() - start.getTime());
  const days = Math.floor(ms / 86_400_000);
  const rest = ms % 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  const m = Math.floor((rest % 3_600_000) / 60_000);
  const s = Math.floor((rest % 60_000) / 1000);
  return `${days} days ${pad(h)}:${pad(m)}:${pad(s)}.${pad(rest % 1000, 3)}000`;
}

/**
 * One CSV cell. A string that starts with = + - @ tab or carriage return would run as a formula in a
 * spreadsheet (`=HYPERLINK(...)` in a categorical value): it gets a leading single quote, as OWASP's
 * CSV-injection advice says. Numbers are written as numbers, so -1.5 stays a negative number.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "boolean" ? (value ? "True" : "False") : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The optuna-dashboard / trials_dataframe() column set, params sorted by name. */
export function trialsCsv(trials: ExportTrial[]): string {
  const paramNames = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  const attrs = ["L1", "L2", "L3", "phi2"] as const;
  const header = [
    "number",
    "value",
    "datetime_start",
    "datetime_complete",
    "duration",
    ...paramNames.map((p) => `params_${p}`),
    ...attrs.map((a) => `user_attrs_${a}`),
    "state",
  ];
  const lines = trials.map((t) =>
    [
      t.number,
      t.result?.value,
      pandasDatetime(t.startedAt),
      pandasDatetime(t.finishedAt),
      pandasDuration(t.startedAt, t.finishedAt),
      ...paramNames.map((p) => ownValue(t.params, p)),
      ...attrs.map((a) => t.result?.[a]),
      t.state,
    ]
      .map(csvCell)
      .join(","),
  );
  return [header.map(csvCell).join(","), ...lines].join("\n") + "\n";
}

export async function exportStudyCsvHandler({ ctx, input }: { ctx: OrgContext; input: ExportStudyInput }) {
  const { study, trials } = await loadTrials(ctx, input);
  return { filename: `${study.name.replace(/[^\w.-]+/g, "_")}-trials.csv`, csv: trialsCsv(trials) };
}

/** What a trial's intermediate values are: not its `value`, which is the held-out objective. */
const INTERMEDIATE_VALUES_KIND = "mean_validation_chi2";
const INTERMEDIATE_VALUES_MEANING =
  "mean validation χ² of the ensemble's replicas at each reported epoch (step = epoch; what the scheduler prunes on), a different quantity from value";

/**
 * The study as Optuna-shaped JSON: each distribution as `distribution_to_json` writes it (loadable
 * with `optuna.distributions.json_to_distribution`), trials as FrozenTrial fields.
 */
export async function exportStudyJsonHandler({ ctx, input }: { ctx: OrgContext; input: ExportStudyInput }) {
  const { study, trials } = await loadTrials(ctx, input);
  const distributions = toOptunaJson(parseSearchSpace(study.searchSpace));
  return {
    study_name: study.name,
    study_id: study.id,
    directions: ["MINIMIZE"],
    objective: study.objective,
    sampler: study.sampler,
    scheduler: study.scheduler,
    state: study.state,
    // Two different quantities share Optuna's fields: say which is which (docs/api.md, "Exports").
    user_attrs: {
      value: `the study's objective, ${study.objective} (held-out estimator of the trained ensemble)`,
      intermediate_values: INTERMEDIATE_VALUES_MEANING,
      // Set for every trial and never searched: no distribution, so not among a trial's params.
      fixed: studyFixed(study),
    },
    distributions,
    trials: trials.map((t) => ({
      number: t.number,
      state: t.state,
      value: t.result?.value ?? null,
      values: t.result ? [t.result.value] : null,
      datetime_start: t.startedAt?.toISOString() ?? null,
      datetime_complete: t.finishedAt?.toISOString() ?? null,
      duration_seconds:
        t.startedAt && t.finishedAt ? (t.finishedAt.getTime() - t.startedAt.getTime()) / 1000 : null,
      params: t.params,
      distributions: Object.fromEntries(
        Object.keys(t.params).flatMap((p) => (distributions[p] ? [[p, distributions[p]]] : [])),
      ),
      user_attrs: {
        ...(t.result ? { L1: t.result.L1, L2: t.result.L2, L3: t.result.L3, phi2: t.result.phi2 } : {}),
        ...(t.intermediate.length > 0 ? { intermediate_values: INTERMEDIATE_VALUES_KIND } : {}),
      },
      intermediate_values: Object.fromEntries(t.intermediate.map((iv) => [String(iv.step), iv.value])),
    })),
  };
}

/** The study's fixed settings (hyperparameter name → value), read through the Study-row schema. */
function studyFixed(study: { id: string; fixed: unknown }) {
  return parseStudyRow({ id: study.id, fixed: study.fixed }).fixed;
}

/** Per-fold values and the rest of a trial's record, as Optuna user attributes. */
function trialUserAttrs(t: ExportTrial): JournalTrial["userAttrs"] {
  const { value: _objective, ...result } = t.result ?? { value: null };
  return {
    ...result,
    attempt: t.attempt,
    ...(t.error !== null ? { error: t.error } : {}),
    ...(t.intermediate.length > 0 ? { intermediate_values: INTERMEDIATE_VALUES_KIND } : {}),
  };
}

/** Where Optuna's own optimize loop records why a trial failed. */
function failReason(t: ExportTrial): JournalTrial["systemAttrs"] {
  return t.state === "FAIL" && t.error !== null ? { fail_reason: t.error } : {};
}

/**
 * The study as Optuna's JournalStorage file (optuna-journal.ts), opened by optuna-dashboard and
 * `optuna.load_study`: every trial in its state, with its datetimes (UTC), params and distributions,
 * values (L1 and phi2 for a multi-objective study), intermediate values and user attributes.
 */
export async function exportStudyOptunaHandler({ ctx, input }: { ctx: OrgContext; input: ExportStudyInput }) {
  const { study, trials } = await loadTrials(ctx, input);
  const space = toOptunaJson(parseSearchSpace(study.searchSpace));
  const { names, directions } = studyObjectives(study);
  const journal = optunaJournal(
    {
      name: study.name,
      directions,
      userAttrs: {
        hens_study_id: study.id,
        objectives: names,
        value:
          names.length > 1
            ? "values: held-out L1 (minimised) and the ensemble's phi2 (maximised)"
            : `the study's objective, ${study.objective} (held-out estimator of the trained ensemble)`,
        intermediate_values: INTERMEDIATE_VALUES_MEANING,
        datetimes: "UTC",
        sampler: study.sampler,
        scheduler: study.scheduler,
        state: study.state,
        // With our conditions (`when`), which Optuna's distributions cannot say.
        search_space: JSON.parse(JSON.stringify(space)),
        fixed: studyFixed(study),
      },
      distributions: space,
    },
    trials.map((t) => ({
      state: t.state,
      params: t.params,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
      values: t.result ? (names.length > 1 ? [t.result.L1, t.result.phi2] : [t.result.value]) : null,
      userAttrs: trialUserAttrs(t),
      systemAttrs: failReason(t),
      intermediate: t.intermediate,
    })),
  );
  return { filename: `${study.name.replace(/[^\w.-]+/g, "_")}-optuna.log`, journal };
}
