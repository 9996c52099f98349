"use client";

import { useState } from "react";
import {
  type FilterValue,
  isSetFilter,
  MAX_FILTERS,
  OBJECTIVE_KEY,
  type TrialFilter,
} from "@/lib/trial-filters";
import type { AxisSpec } from "../charts/frame";
import { Button, inputClass } from "../ui";

/** A parameter's axis spec (charts/frame.ts) with its choices, as study.trials sends it. */
export type ParamSpec = AxisSpec & { choices?: FilterValue[] };

/** A parameter's value as its column shows it: log floats in exponent form, ints whole, choices as written. */
export function formatParamValue(v: unknown, spec: ParamSpec | undefined): string {
  if (v === undefined || v === null) return "–";
  if (typeof v !== "number") return String(v);
  if (spec?.type === "int") return String(Math.round(v));
  if (spec?.log) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

type Draft = Record<string, { min: string; max: string } | FilterValue[]>;

function draftOf(names: string[], specs: Record<string, ParamSpec>, filters: readonly TrialFilter[]): Draft {
  const out: Draft = {};
  for (const name of [...names, OBJECTIVE_KEY]) {
    const f = filters.find((x) => x.name === name);
    const spec = specs[name];
    if (spec?.type === "categorical") out[name] = f && isSetFilter(f) ? [...f.values] : [];
    else
      out[name] = {
        min: f && !isSetFilter(f) && f.min !== undefined ? String(f.min) : "",
        max: f && !isSetFilter(f) && f.max !== undefined ? String(f.max) : "",
      };
  }
  return out;
}

const labelOf = (name: string) => (name === OBJECTIVE_KEY ? "objective" : name);
const idOf = (name: string) => `tf-${name === OBJECTIVE_KEY ? "objective" : name.replace(/[^\w-]/g, "_")}`;

/**
 * The table's range filters: min/max per numeric parameter and the objective, a value set per
 * categorical one. The keyboard path to the same filters the parallel-coordinates brush writes; mount it
 * with a key of the current filters so a brush resets the drafts.
 */
export function ParamFilters({
  names,
  specs,
  filters,
  onApply,
}: {
  names: string[];
  specs: Record<string, ParamSpec>;
  filters: readonly TrialFilter[];
  onApply: (next: TrialFilter[]) => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(names, specs, filters));
  const [errors, setErrors] = useState<Record<string, string>>({});
  function apply() {
    const next: TrialFilter[] = [];
    const errs: Record<string, string> = {};
    for (const [name, d] of Object.entries(draft)) {
      if (Array.isArray(d)) {
        if (d.length > 0) next.push({ name, values: d });
        continue;
      }
      const min = d.min.trim() === "" ? undefined : Number(d.min);
      const max = d.max.trim() === "" ? undefined : Number(d.max);
      if ((min !== undefined && !Number.isFinite(min)) || (max !== undefined && !Number.isFinite(max)))
        errs[name] = `${labelOf(name)}: min and max must be numbers`;
      else if (min !== undefined && max !== undefined && min > max)
        errs[name] = `${labelOf(name)}: min must not exceed max`;
      else if (min !== undefined || max !== undefined)
        next.push({ name, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
    }
    if (next.length > MAX_FILTERS) errs["_"] = `At most ${MAX_FILTERS} filters at once`;
    setErrors(errs);
    if (Object.keys(errs).length === 0) onApply(next);
    else document.getElementById(`${idOf(Object.keys(errs)[0]!)}-min`)?.focus();
  }
  return (
    <form
      aria-label="Range filters"
      className="mb-3"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <fieldset className="min-w-0 rounded border border-slate-200 p-2 dark:border-slate-700">
        <legend className="px-1 text-sm font-medium">
          Range filters (the brush on the parallel coordinates)
        </legend>
        <div className="grid grid-cols-1 gap-x-4 gap-y-2 sm:grid-cols-2 lg:grid-cols-3">
          {Object.entries(draft).map(([name, d]) => (
            <div key={name} className="min-w-0">
              {Array.isArray(d) ? (
                <fieldset className="min-w-0">
                  <legend className="text-sm">{labelOf(name)}</legend>
                  <div className="flex flex-wrap gap-x-3">
                    {(specs[name]?.choices ?? []).map((c) => (
                      <label key={String(c)} className="flex items-center gap-1 text-sm">
                        <input
                          type="checkbox"
                          checked={d.some((v) => v === c)}
                          onChange={(e) =>
                            setDraft({
                              ...draft,
                              [name]: e.target.checked ? [...d, c] : d.filter((v) => v !== c),
                            })
                          }
                        />
                        {String(c)}
                      </label>
                    ))}
                  </div>
                </fieldset>
              ) : (
                <div className="flex flex-wrap items-end gap-2">
                  {(["min", "max"] as const).map((bound) => (
                    <div key={bound}>
                      <label htmlFor={`${idOf(name)}-${bound}`} className="block text-sm">
                        {labelOf(name)} {bound}
                        {specs[name]?.log ? " (log)" : ""}
                      </label>
                      <input
                        id={`${idOf(name)}-${bound}`}
                        inputMode="decimal"
                        value={d[bound]}
                        aria-invalid={errors[name] ? true : undefined}
                        aria-describedby={errors[name] ? `${idOf(name)}-error` : undefined}
                        placeholder={
                          specs[name]?.[bound === "min" ? "low" : "high"] !== undefined
                            ? String(specs[name]![bound === "min" ? "low" : "high"])
                            : ""
                        }
                        onChange={(e) => setDraft({ ...draft, [name]: { ...d, [bound]: e.target.value } })}
                        className={`${inputClass} !w-28`}
                      />
                    </div>
                  ))}
                  {errors[name] ? (
                    <p id={`${idOf(name)}-error`} className="w-full text-xs text-red-700 dark:text-red-300">
                      {errors[name]}
                    </p>
                  ) : null}
                </div>
              )}
            </div>
          ))}
        </div>
        {errors["_"] ? <p className="mt-1 text-xs text-red-700 dark:text-red-300">{errors["_"]}</p> : null}
        <div className="mt-2 flex flex-wrap gap-2">
          <Button type="submit">Apply range filters</Button>
          {filters.length > 0 ? <Button onClick={() => onApply([])}>Clear range filters</Button> : null}
        </div>
      </fieldset>
    </form>
  );
}
