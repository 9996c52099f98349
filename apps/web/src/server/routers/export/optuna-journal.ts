/**
 * A study as Optuna's JournalStorage file (optuna/storages/_journal/storage.py, Optuna ≥ 3.1): JSON
 * lines of operations that `JournalStorage(JournalFileStorage(path))` replays, so optuna-dashboard and
 * `optuna.load_study` open the export directly. Each trial is one CREATE_TRIAL carrying the whole
 * finished trial, which is what Optuna itself writes for `study.add_trial(frozen_trial)`.
 */
import type { OptunaDistributionJson } from "@hyperensemble/engine/search";

/** Optuna's JournalOperation op codes (3.1; unchanged since). */
export const JOURNAL_OP = { CREATE_STUDY: 0, SET_STUDY_USER_ATTR: 2, CREATE_TRIAL: 4 } as const;
/** Optuna's StudyDirection values. */
export const OPTUNA_DIRECTION = { minimize: 1, maximize: 2 } as const;
/** Optuna's TrialState values; the platform's states carry the same names. */
export const OPTUNA_TRIAL_STATE = { RUNNING: 0, COMPLETE: 1, PRUNED: 2, FAIL: 3, WAITING: 4 } as const;

/** Every line names a worker; ours is none of a reader's, so replay treats the lines as foreign. */
const WORKER_ID = "hyperensemble-export";

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface JournalStudy {
  name: string;
  directions: (keyof typeof OPTUNA_DIRECTION)[];
  userAttrs: Record<string, JsonValue>;
  /** The study's search space as `toOptunaJson` writes it. */
  distributions: Record<string, OptunaDistributionJson>;
}

export interface JournalTrial {
  state: keyof typeof OPTUNA_TRIAL_STATE;
  params: Record<string, string | number | boolean | null>;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The objective values in the study's direction order; null when the trial has none. */
  values: number[] | null;
  userAttrs: Record<string, JsonValue>;
  systemAttrs: Record<string, JsonValue>;
  intermediate: { step: number; value: number }[];
}

/** Optuna's `datetime.isoformat(timespec="microseconds")` of a naive datetime; ours are UTC. */
export function optunaDatetime(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000`;
}

/**
 * Python's `json.dumps`: NaN and ±Infinity as the bare tokens Python reads back (JSON.stringify would
 * write null, turning a diverged χ² into a missing value).
 */
export function pythonJson(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value))
    return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(", ")}}`;
  return JSON.stringify(value ?? null);
}

/** `distribution_to_json`: a JSON string of name and attributes (our `when` stays in the study attr). */
function distributionString(d: OptunaDistributionJson): string {
  return pythonJson({ name: d.name, attributes: d.attributes });
}

/**
 * A parameter's internal representation (`to_internal_repr`): floats and ints as numbers, a
 * categorical as its index in the choices; undefined when the value is outside the distribution.
 */
function internalRepr(d: OptunaDistributionJson, value: unknown): number | undefined {
  if (d.name === "CategoricalDistribution") {
    const choices = (d.attributes["choices"] ?? []) as unknown[];
    const i = choices.indexOf(value);
    return i < 0 ? undefined : i;
  }
  return typeof value === "number" ? value : undefined;
}

function trialOp(t: JournalTrial, space: Record<string, OptunaDistributionJson>) {
  const distributions: Record<string, string> = {};
  const params: Record<string, number> = {};
  // A value the study's space cannot represent (a configuration enqueued or warm-started before the
  // space changed) would make Optuna's replay fail: it travels as a user attribute instead.
  const outside: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(t.params)) {
    const d = space[name];
    const internal = d ? internalRepr(d, value) : undefined;
    if (!d || internal === undefined) {
      outside[name] = value;
      continue;
    }
    distributions[name] = distributionString(d);
    params[name] = internal;
  }
  // Optuna keeps `value` for one objective and `values` for several (JournalStorage.create_new_trial).
  const values = t.state === "COMPLETE" || t.state === "PRUNED" ? t.values : null;
  const several = values !== null && values.length > 1;
  return {
    op_code: JOURNAL_OP.CREATE_TRIAL,
    worker_id: WORKER_ID,
    study_id: 0,
    datetime_start: t.startedAt ? optunaDatetime(t.startedAt) : null,
    state: OPTUNA_TRIAL_STATE[t.state],
    value: several ? null : (values?.[0] ?? null),
    values: several ? values : null,
    // Replay parses the key when present, so an unfinished trial leaves it out.
    ...(t.finishedAt ? { datetime_complete: optunaDatetime(t.finishedAt) } : {}),
    distributions,
    params,
    user_attrs:
      Object.keys(outside).length > 0 ? { ...t.userAttrs, params_outside_space: outside } : t.userAttrs,
    system_attrs: t.systemAttrs,
    intermediate_values: Object.fromEntries(t.intermediate.map((iv) => [String(iv.step), iv.value])),
  };
}

/** The journal: one study (id 0), its user attributes one per line (replay asserts one), its trials. */
export function optunaJournal(study: JournalStudy, trials: JournalTrial[]): string {
  const ops: unknown[] = [
    {
      op_code: JOURNAL_OP.CREATE_STUDY,
      worker_id: WORKER_ID,
      study_name: study.name,
      directions: study.directions.map((d) => OPTUNA_DIRECTION[d]),
    },
    ...Object.entries(study.userAttrs).map(([key, value]) => ({
      op_code: JOURNAL_OP.SET_STUDY_USER_ATTR,
      worker_id: WORKER_ID,
      study_id: 0,
      user_attr: { [key]: value },
    })),
    ...trials.map((t) => trialOp(t, study.distributions)),
  ];
  return ops.map((op) => `${pythonJson(op)}\n`).join("");
}
