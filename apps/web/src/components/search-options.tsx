"use client";

import {
  type DocumentedOption,
  optionDocs,
  SAMPLER_REGISTRY,
  SCHEDULER_REGISTRY,
} from "@hyperensemble/engine/search";
import { useState } from "react";
import { Field, inputClass } from "./ui";

/** A sampler or scheduler as the study spec takes it. */
export interface SearchComponent {
  name: string;
  options: Record<string, unknown>;
}

const REGISTRIES = { sampler: SAMPLER_REGISTRY, scheduler: SCHEDULER_REGISTRY } as const;
const LABELS = { sampler: "Sampler", scheduler: "Scheduler (early stopping)" } as const;

/** A raw field value as the spec wants it: blank is "use the default" (left out). */
function toOption(doc: DocumentedOption, raw: string): unknown {
  if (raw.trim() === "") return undefined;
  switch (doc.control.kind) {
    case "number":
      // Non-numbers stay NaN so the schema names the field.
      return Number(raw);
    case "boolean":
      return raw === "true";
    default:
      return raw;
  }
}

/**
 * The sampler or scheduler select and, under it, one field per documented option of the chosen
 * entry, generated from its registry schema (blank = the documented default). Options that are
 * objects (GP's acquisition search effort) are left to the YAML spec editor.
 */
export function SearchPicker({
  kind,
  value,
  onChange,
  errors,
}: {
  kind: "sampler" | "scheduler";
  value: SearchComponent;
  onChange: (value: SearchComponent) => void;
  errors: Record<string, string>;
}) {
  const registry = REGISTRIES[kind];
  const entry = registry.find((e) => e.name === value.name);
  const docs = entry
    ? optionDocs(entry.options).filter((d) => d.control.kind !== "object" && d.name !== "workerId")
    : [];
  const [raw, setRaw] = useState<Record<string, string>>({});

  function choose(name: string) {
    setRaw({});
    onChange({ name, options: {} });
  }
  function edit(doc: DocumentedOption, text: string) {
    const next = { ...raw, [doc.name]: text };
    setRaw(next);
    const options: Record<string, unknown> = {};
    for (const d of docs) {
      const v = toOption(d, next[d.name] ?? "");
      if (v !== undefined) options[d.name] = v;
    }
    onChange({ name: value.name, options });
  }

  return (
    <>
      <Field
        id={kind}
        label={LABELS[kind]}
        error={errors[kind] ?? errors[`${kind}.name`]}
        hint={entry?.description}
      >
        <select
          id={kind}
          name={kind}
          value={value.name}
          onChange={(e) => choose(e.target.value)}
          className={inputClass}
        >
          {registry.map((e) => (
            <option key={e.name} value={e.name}>
              {e.name}
            </option>
          ))}
        </select>
      </Field>
      {docs.length > 0 ? (
        <details className="md:col-span-3" data-testid={`${kind}-options`}>
          <summary className="cursor-pointer text-sm font-medium">
            {value.name} options ({docs.length}; blank = default)
          </summary>
          <div className="mt-2 grid gap-4 md:grid-cols-3">
            {docs.map((doc) => {
              const id = `${kind}-option-${doc.name}`;
              const error = errors[`${kind}.options.${doc.name}`];
              const hint = `${doc.description}; default ${String(doc.default)}`;
              return (
                <Field key={doc.name} id={id} label={doc.name} error={error} hint={hint}>
                  {doc.control.kind === "boolean" || doc.control.kind === "enum" ? (
                    <select
                      id={id}
                      value={raw[doc.name] ?? ""}
                      onChange={(e) => edit(doc, e.target.value)}
                      className={inputClass}
                      aria-invalid={Boolean(error)}
                    >
                      <option value="">default ({String(doc.default)})</option>
                      {(doc.control.kind === "enum" ? doc.control.choices : ["true", "false"]).map((c) => (
                        <option key={c} value={c}>
                          {c}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <input
                      id={id}
                      value={raw[doc.name] ?? ""}
                      inputMode={doc.control.kind === "number" ? "decimal" : "text"}
                      placeholder={String(doc.default)}
                      onChange={(e) => edit(doc, e.target.value)}
                      className={inputClass}
                      aria-invalid={Boolean(error)}
                      aria-describedby={error ? `${id}-error` : `${id}-hint`}
                    />
                  )}
                </Field>
              );
            })}
          </div>
        </details>
      ) : null}
    </>
  );
}

/** "auto → gp (2 numeric parameters) / asha {eta: 3}" for the study page. */
export function SearchSummary({
  study,
}: {
  study: {
    sampler: string;
    samplerOptions: unknown;
    /** `auto`'s recorded pick, as parseStudyRow types it. */
    samplerChoice?: { name: string; reason: string } | null;
    scheduler: string;
    schedulerOptions: unknown;
  };
}) {
  const choice = study.samplerChoice;
  const opts = (o: unknown) => {
    const text = o && typeof o === "object" && Object.keys(o).length ? JSON.stringify(o) : "";
    return text ? ` ${text}` : "";
  };
  return (
    <span data-testid="search-summary">
      {study.sampler}
      {choice ? ` → ${choice.name} (${choice.reason})` : ""}
      {opts(study.samplerOptions)} / {study.scheduler}
      {opts(study.schedulerOptions)}
    </span>
  );
}
