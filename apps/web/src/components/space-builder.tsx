"use client";

import { describeDomain, HYPERPARAMETERS } from "@hyperensemble/engine/hyperparameters";
import { parseSearchSpace } from "@hyperensemble/engine/search";
import { useMemo, useState } from "react";
import { previewSamples, type SpecIssue } from "@/lib/spec";
import { Button, focusRing, tableClass, theadClass } from "./ui";

type ParamType = "float" | "int" | "categorical";
export interface ParamRow {
  key: number;
  name: string;
  type: ParamType;
  low: string;
  high: string;
  log: boolean;
  step: string;
  choices: string;
  whenParam: string;
  whenOp: "in" | "gte" | "lte";
  whenValue: string;
}

const literal = (s: string): string | number | boolean => {
  const t = s.trim();
  if (t === "true" || t === "false") return t === "true";
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : t;
};

const PREVIEW_COUNT = 5;
let nextKey = 1;

/** A row for the first of the trainer's hyperparameters not yet in the space, inside its domain. */
function newRow(taken: string[]): ParamRow {
  const h = HYPERPARAMETERS.find((x) => !taken.includes(x.name)) ?? HYPERPARAMETERS[0]!;
  const choices = h.type === "boolean" ? "true, false" : (h.choices ?? []).join(", ");
  const numeric = h.type === "int" || h.type === "float" ? h.type : undefined;
  const end = (v: number | undefined, open: boolean | undefined) =>
    v === undefined || open ? String(h.default ?? 0.01) : String(v);
  return {
    key: nextKey++,
    name: h.name,
    type: numeric ?? "categorical",
    low: numeric ? end(h.low, h.lowExclusive) : "",
    high: numeric ? end(h.high, h.highExclusive) : "",
    log: false,
    step: "",
    choices: numeric ? "" : choices,
    whenParam: "",
    whenOp: "in",
    whenValue: "",
  };
}
/** Rows from an Optuna-style space object (the form's starting point). */
export function rowsFromSpace(space: Record<string, unknown>): ParamRow[] {
  return Object.entries(space).map(([name, raw]) => {
    const p = raw as Record<string, unknown>;
    const when = (Array.isArray(p["when"]) ? p["when"][0] : p["when"]) as Record<string, unknown> | undefined;
    const op = when ? (when["in"] ? "in" : when["gte"] !== undefined ? "gte" : "lte") : "in";
    const wv = when ? when[op] : undefined;
    return {
      key: nextKey++,
      name,
      type: p["type"] as ParamType,
      low: p["low"] === undefined ? "" : String(p["low"]),
      high: p["high"] === undefined ? "" : String(p["high"]),
      log: Boolean(p["log"]),
      step: p["step"] === undefined ? "" : String(p["step"]),
      choices: Array.isArray(p["choices"]) ? p["choices"].join(", ") : "",
      whenParam: when ? String(when["param"]) : "",
      whenOp: op,
      whenValue: Array.isArray(wv) ? wv.join(", ") : wv === undefined ? "" : String(wv),
    };
  });
}

/** Rows into the space document the API takes (blank numbers stay NaN so the parser names them). */
export function spaceFromRows(rows: ParamRow[]): Record<string, unknown> {
  const num = (s: string) => (s.trim() === "" ? Number.NaN : Number(s));
  return Object.fromEntries(
    rows.map((r) => {
      const spec: Record<string, unknown> = { type: r.type };
      if (r.type === "categorical")
        spec["choices"] = r.choices
          .split(",")
          .filter((c) => c.trim())
          .map(literal);
      else {
        spec["low"] = num(r.low);
        spec["high"] = num(r.high);
        if (r.log) spec["log"] = true;
        if (r.step.trim()) spec["step"] = num(r.step);
      }
      if (r.whenParam) {
        spec["when"] = {
          param: r.whenParam,
          [r.whenOp]:
            r.whenOp === "in"
              ? r.whenValue
                  .split(",")
                  .filter((c) => c.trim())
                  .map(literal)
              : num(r.whenValue),
        };
      }
      return [r.name, spec];
    }),
  );
}

const cellBase = `w-full rounded border bg-white px-2 py-1 text-sm dark:bg-slate-800 ${focusRing}`;
const cellOk = "border-slate-400 dark:border-slate-600";
const cellBad = "border-red-700 ring-1 ring-red-700 dark:border-red-400 dark:ring-red-400";

/** The builder's columns, by the field a search-space error path names. */
const COLUMN_OF_FIELD: Record<string, Column> = {
  type: "type",
  low: "low",
  high: "high",
  log: "log",
  step: "step",
  choices: "choices",
};
type Column = "name" | "type" | "low" | "high" | "log" | "step" | "choices" | "whenParam" | "whenValue";
const COLUMN_LABELS: Record<Column, string> = {
  name: "Name",
  type: "Type",
  low: "Low",
  high: "High",
  log: "Log",
  step: "Step",
  choices: "Choices",
  whenParam: "Only when",
  whenValue: "Condition value",
};

/** Where a search-space issue ("units_2.when.0.in", "lr.low") sits in the builder: row and column. */
export function issueCell(path: string): { param: string; column: Column } | null {
  if (path === "(document)" || path === "") return null;
  const [param = "", field, , sub] = path.split(".");
  if (field === undefined) return { param, column: "name" };
  if (field === "when") return { param, column: sub === "param" ? "whenParam" : "whenValue" };
  return { param, column: COLUMN_OF_FIELD[field] ?? "name" };
}

/** An issue as a person reads it: "units_2 › Condition value: must contain at least 1 value". */
export function issueText(issue: SpecIssue): string {
  const at = issueCell(issue.path);
  if (!at) return issue.message;
  const message = issue.message.replace(
    /^Too small: expected array to have >=1 items$/,
    "give at least one value",
  );
  return `${at.param} › ${COLUMN_LABELS[at.column]}: ${message}`;
}

/** A condition that holds for some values of its parent: the default when "Only when" is picked. */
function defaultCondition(parent: ParamRow | undefined): Pick<ParamRow, "whenOp" | "whenValue"> {
  if (!parent) return { whenOp: "in", whenValue: "" };
  if (parent.type === "categorical")
    return { whenOp: "in", whenValue: parent.choices.split(",")[0]?.trim() ?? "" };
  return { whenOp: "gte", whenValue: parent.low };
}

export function SpaceBuilder({
  rows,
  onChange,
  sampler,
  seed,
  issues,
}: {
  rows: ParamRow[];
  onChange: (rows: ParamRow[]) => void;
  sampler: string;
  /** The study's seed from the form; undefined when the server will draw one. */
  seed: number | undefined;
  /** The space's problems (checkSpace), computed by the form so it lists them once. */
  issues: SpecIssue[];
}) {
  const [exampleSeed, setExampleSeed] = useState(1);
  const previewSeed = seed ?? exampleSeed;
  const space = useMemo(() => spaceFromRows(rows), [rows]);
  const preview = useMemo(() => {
    if (issues.length > 0) return [];
    try {
      return previewSamples(parseSearchSpace(space), sampler, PREVIEW_COUNT, previewSeed);
    } catch {
      return [];
    }
  }, [space, issues, sampler, previewSeed]);
  const bad = useMemo(() => {
    const cells = new Set<string>();
    for (const i of issues) {
      const at = issueCell(i.path);
      if (at) cells.add(`${at.param}\u0000${at.column}`);
    }
    return cells;
  }, [issues]);
  const update = (key: number, patch: Partial<ParamRow>) =>
    onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const names = rows.map((r) => r.name);
  return (
    <fieldset className="min-w-0 space-y-3" data-testid="space-builder">
      <legend className="text-sm font-medium">Search space</legend>
      {/* The trainer's hyperparameters (the registry) offered for each name, with their meaning. */}
      <datalist id="hyperparameter-names">
        {HYPERPARAMETERS.map((h) => (
          <option key={h.name} value={h.name} label={`${h.meaning} (${describeDomain(h)})`} />
        ))}
      </datalist>
      <div className="relative overflow-x-auto">
        <table className={`${tableClass} min-w-[1040px]`}>
          <thead className={theadClass}>
            <tr>
              {[
                "Name",
                "Type",
                "Low",
                "High",
                "Log",
                "Step",
                "Choices",
                "Only when",
                "Operator",
                "Value",
              ].map((h) => (
                <th key={h} scope="col" className="pr-2 font-medium">
                  {h}
                </th>
              ))}
              <th scope="col">
                <span className="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const numeric = r.type !== "categorical";
              const label = (what: string) => `${what} of ${r.name || "new parameter"}`;
              const invalid = (column: Column) => bad.has(`${r.name}\u0000${column}`);
              const cell = (column: Column, extra = "") =>
                `${cellBase} ${invalid(column) ? cellBad : cellOk} ${extra}`;
              return (
                <tr key={r.key} data-testid="space-row">
                  <td className="pr-2 py-1">
                    <input
                      aria-label={label("Name")}
                      aria-invalid={invalid("name")}
                      className={cell("name", "min-w-[9rem]")}
                      value={r.name}
                      list="hyperparameter-names"
                      onChange={(e) => update(r.key, { name: e.target.value })}
                    />
                  </td>
                  <td className="pr-2">
                    <select
                      aria-label={label("Type")}
                      aria-invalid={invalid("type")}
                      className={cell("type", "min-w-[8.5rem]")}
                      value={r.type}
                      onChange={(e) => update(r.key, { type: e.target.value as ParamType })}
                    >
                      <option value="float">float</option>
                      <option value="int">int</option>
                      <option value="categorical">categorical</option>
                    </select>
                  </td>
                  {(["low", "high"] as const).map((f) => (
                    <td key={f} className="pr-2">
                      <input
                        aria-label={label(f === "low" ? "Low" : "High")}
                        aria-invalid={invalid(f)}
                        className={cell(f, "min-w-[5rem]")}
                        disabled={!numeric}
                        value={r[f]}
                        onChange={(e) => update(r.key, { [f]: e.target.value })}
                      />
                    </td>
                  ))}
                  <td className="pr-2 text-center">
                    <input
                      type="checkbox"
                      aria-label={label("Log scale")}
                      aria-invalid={invalid("log")}
                      disabled={!numeric}
                      checked={r.log}
                      onChange={(e) => update(r.key, { log: e.target.checked })}
                    />
                  </td>
                  <td className="pr-2">
                    <input
                      aria-label={label("Step")}
                      aria-invalid={invalid("step")}
                      className={cell("step", "min-w-[4rem]")}
                      disabled={!numeric}
                      value={r.step}
                      onChange={(e) => update(r.key, { step: e.target.value })}
                    />
                  </td>
                  <td className="pr-2">
                    <input
                      aria-label={label("Choices")}
                      aria-invalid={invalid("choices")}
                      className={cell("choices", "min-w-[12rem]")}
                      disabled={numeric}
                      value={r.choices}
                      placeholder="a, b, c"
                      title={r.choices}
                      onChange={(e) => update(r.key, { choices: e.target.value })}
                    />
                  </td>
                  <td className="pr-2">
                    <select
                      aria-label={label("Condition parameter")}
                      aria-invalid={invalid("whenParam")}
                      className={cell("whenParam", "min-w-[8rem]")}
                      value={r.whenParam}
                      onChange={(e) => {
                        const whenParam = e.target.value;
                        // A new parent gets a fresh, satisfiable condition (its low or first choice):
                        // the old values meant something only for the old parent.
                        const parent = rows.find((x) => x.name === whenParam);
                        update(r.key, { whenParam, ...defaultCondition(parent) });
                      }}
                    >
                      <option value="">always</option>
                      {names
                        .filter((n) => n && n !== r.name)
                        .map((n) => (
                          <option key={n} value={n}>
                            {n}
                          </option>
                        ))}
                    </select>
                  </td>
                  <td className="pr-2">
                    <select
                      aria-label={label("Condition operator")}
                      className={cell("whenValue", "min-w-[7.5rem]")}
                      disabled={!r.whenParam}
                      value={r.whenOp}
                      onChange={(e) => update(r.key, { whenOp: e.target.value as ParamRow["whenOp"] })}
                    >
                      <option value="in">is one of</option>
                      <option value="gte">≥ (at least)</option>
                      <option value="lte">≤ (at most)</option>
                    </select>
                  </td>
                  <td className="pr-2">
                    <input
                      aria-label={label("Condition value")}
                      aria-invalid={invalid("whenValue")}
                      className={cell("whenValue", "min-w-[7rem]")}
                      disabled={!r.whenParam}
                      placeholder={r.whenOp === "in" ? "a, b" : "number"}
                      value={r.whenValue}
                      onChange={(e) => update(r.key, { whenValue: e.target.value })}
                    />
                  </td>
                  <td>
                    <Button
                      aria-label={`Remove ${r.name || "parameter"}`}
                      onClick={() => onChange(rows.filter((x) => x.key !== r.key))}
                    >
                      ✕
                    </Button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Button onClick={() => onChange([...rows, newRow(rows.map((r) => r.name))])}>Add parameter</Button>
      {issues.length > 0 ? (
        <div role="alert" data-testid="space-errors">
          <p className="text-sm font-medium text-red-700 dark:text-red-300">
            Fix the marked cells ({issues.length} {issues.length === 1 ? "problem" : "problems"}):
          </p>
          <ul className="list-inside list-disc text-sm text-red-700 dark:text-red-300">
            {issues.map((i) => (
              <li key={`${i.path}:${i.message}`}>{issueText(i)}</li>
            ))}
          </ul>
        </div>
      ) : (
        <div data-testid="space-preview">
          <div className="flex flex-wrap items-center gap-3">
            <h3 className="text-sm font-medium" data-testid="space-preview-title">
              {seed === undefined
                ? `Example: the first ${PREVIEW_COUNT} trials the ${sampler} sampler would propose with seed ${previewSeed} (the seed is blank, so the server draws one at creation)`
                : `The first ${PREVIEW_COUNT} trials this study will run: ${sampler} sampler, seed ${seed}`}
            </h3>
            {seed === undefined ? (
              <Button onClick={() => setExampleSeed((s) => s + 1)}>Another example seed</Button>
            ) : null}
          </div>
          <div className="relative overflow-x-auto">
            <table className={`${tableClass} mt-2 font-mono text-xs`}>
              <thead className={theadClass}>
                <tr>
                  <th scope="col" className="pr-3">
                    Trial
                  </th>
                  {names.map((n) => (
                    <th key={n} scope="col" className="pr-3">
                      {n}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.map((p, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: samples are positional
                  <tr key={i}>
                    <td className="pr-3">#{i}</td>
                    {names.map((n) => (
                      <td key={n} className="pr-3">
                        {p[n] === undefined
                          ? "—"
                          : typeof p[n] === "number"
                            ? Number((p[n] as number).toPrecision(4))
                            : String(p[n])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
            — : inactive under its condition.{" "}
            {sampler === "random" || sampler === "sobol"
              ? ""
              : `The ${sampler} sampler uses results after its start-up trials, so later trials depend on them.`}
          </p>
        </div>
      )}
    </fieldset>
  );
}
