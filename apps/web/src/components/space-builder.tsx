"use client";

import { describeDomain, HYPERPARAMETERS } from "@hyperensemble/engine/hyperparameters";
import { parseSearchSpace } from "@hyperensemble/engine/search";
import { useMemo, useState } from "react";
import { checkSpace, previewSamples } from "@/lib/spec";
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

const cell = `w-full rounded border border-slate-400 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-800 ${focusRing}`;

export function SpaceBuilder({
  rows,
  onChange,
  sampler,
}: {
  rows: ParamRow[];
  onChange: (rows: ParamRow[]) => void;
  sampler: string;
}) {
  const [seed, setSeed] = useState(1);
  const space = useMemo(() => spaceFromRows(rows), [rows]);
  const issues = useMemo(() => checkSpace(space), [space]);
  const preview = useMemo(() => {
    if (issues.length > 0) return [];
    try {
      return previewSamples(parseSearchSpace(space), sampler, 5, seed);
    } catch {
      return [];
    }
  }, [space, issues, sampler, seed]);
  const update = (key: number, patch: Partial<ParamRow>) =>
    onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const names = rows.map((r) => r.name);
  return (
    <fieldset className="space-y-3" data-testid="space-builder">
      <legend className="text-sm font-medium">Search space</legend>
      {/* The trainer's hyperparameters (the registry) offered for each name, with their meaning. */}
      <datalist id="hyperparameter-names">
        {HYPERPARAMETERS.map((h) => (
          <option key={h.name} value={h.name} label={`${h.meaning} (${describeDomain(h)})`} />
        ))}
      </datalist>
      <div className="overflow-x-auto">
        <table className={`${tableClass} min-w-[900px]`}>
          <thead className={theadClass}>
            <tr>
              {["Name", "Type", "Low", "High", "Log", "Step", "Choices", "Only when", "", "Value", ""].map(
                (h, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: fixed header
                  <th key={i} scope="col" className="pr-2 font-medium">
                    {h}
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const numeric = r.type !== "categorical";
              const label = (what: string) => `${what} of ${r.name || "new parameter"}`;
              return (
                <tr key={r.key}>
                  <td className="pr-2 py-1">
                    <input
                      aria-label={label("Name")}
                      className={cell}
                      value={r.name}
                      list="hyperparameter-names"
                      onChange={(e) => update(r.key, { name: e.target.value })}
                    />
                  </td>
                  <td className="pr-2">
                    <select
                      aria-label={label("Type")}
                      className={cell}
                      value={r.type}
                      onChange={(e) => update(r.key, { type: e.target.value as ParamType })}
                    >
                      <option value="float">float</option>
                      <option value="int">int</option>
                      <option value="categorical">categorical</option>
                    </select>
                  </td>
                  <td className="pr-2">
                    <input
                      aria-label={label("Low")}
                      className={cell}
                      disabled={!numeric}
                      value={r.low}
                      onChange={(e) => update(r.key, { low: e.target.value })}
                    />
                  </td>
                  <td className="pr-2">
                    <input
                      aria-label={label("High")}
                      className={cell}
                      disabled={!numeric}
                      value={r.high}
                      onChange={(e) => update(r.key, { high: e.target.value })}
                    />
                  </td>
                  <td className="pr-2 text-center">
                    <input
                      type="checkbox"
                      aria-label={label("Log scale")}
                      disabled={!numeric}
                      checked={r.log}
                      onChange={(e) => update(r.key, { log: e.target.checked })}
                    />
                  </td>
                  <td className="pr-2">
                    <input
                      aria-label={label("Step")}
                      className={cell}
                      disabled={!numeric}
                      value={r.step}
                      onChange={(e) => update(r.key, { step: e.target.value })}
                    />
                  </td>
                  <td className="pr-2">
                    <input
                      aria-label={label("Choices")}
                      className={cell}
                      disabled={numeric}
                      value={r.choices}
                      placeholder="a, b, c"
                      onChange={(e) => update(r.key, { choices: e.target.value })}
                    />
                  </td>
                  <td className="pr-2">
                    <select
                      aria-label={label("Condition parameter")}
                      className={cell}
                      value={r.whenParam}
                      onChange={(e) => update(r.key, { whenParam: e.target.value })}
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
                      className={cell}
                      disabled={!r.whenParam}
                      value={r.whenOp}
                      onChange={(e) => update(r.key, { whenOp: e.target.value as ParamRow["whenOp"] })}
                    >
                      <option value="in">in</option>
                      <option value="gte">≥</option>
                      <option value="lte">≤</option>
                    </select>
                  </td>
                  <td className="pr-2">
                    <input
                      aria-label={label("Condition value")}
                      className={cell}
                      disabled={!r.whenParam}
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
          <ul className="list-inside list-disc text-sm text-red-700 dark:text-red-300">
            {issues.map((i) => (
              <li key={`${i.path}:${i.message}`}>
                <code>{i.path}</code>: {i.message}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <div data-testid="space-preview">
          <div className="flex items-center gap-3">
            <h3 className="text-sm font-medium">First configurations the {sampler} sampler would try</h3>
            <Button onClick={() => setSeed((s) => s + 1)}>Resample</Button>
          </div>
          <table className={`${tableClass} mt-2 font-mono text-xs`}>
            <thead className={theadClass}>
              <tr>
                <th scope="col">#</th>
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
                  <td className="pr-3">{i}</td>
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
          <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">— : inactive under its condition.</p>
        </div>
      )}
    </fieldset>
  );
}
