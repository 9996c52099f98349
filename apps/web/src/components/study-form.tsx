"use client";

import {
  type CreateStudyInput,
  createStudyInputSchema,
  fieldErrors,
  OBJECTIVES,
  SEARCH_MODES,
} from "@hyperensemble/platform/schema";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { DEFAULT_SPACE } from "@/lib/spec";
import { useTRPC } from "@/trpc/react";
import { type SearchComponent, SearchPicker } from "./search-options";
import { type ParamRow, rowsFromSpace, SpaceBuilder, spaceFromRows } from "./space-builder";
import type { CreateResult } from "./spec-editor";
import { Button, Field, inputClass, linkClass } from "./ui";

const NUMBER_FIELDS = [
  { name: "replicas", label: "Replicas per trial", initial: "16", hint: "ensemble members trained together" },
  { name: "trials", label: "Trials (budget)", initial: "8", hint: "the study stops after this many" },
  { name: "folds", label: "Folds", initial: "2", hint: "held-out sub-datasets, 1–6 on the closure task" },
  { name: "maxEpochs", label: "Max epochs", initial: "400", hint: "fidelity budget per trial" },
  { name: "parallelism", label: "Parallel trials", initial: "2", hint: "trials in flight at once" },
  { name: "seed", label: "Seed (optional)", initial: "", hint: "blank: from the clock" },
] as const;

// The task select holds closure levels ("0".."2") and uploaded datasets ("dataset:<id>").
function taskFromChoice(choice: string) {
  if (choice.startsWith("dataset:"))
    return { kind: "dataset" as const, datasetId: choice.slice("dataset:".length) };
  return { kind: "closure" as const, level: Number(choice) };
}

// A blank or non-numeric entry stays visible to the schema as NaN/undefined, so it names the field.
function toNumber(raw: FormDataEntryValue | null): number | undefined {
  const s = String(raw ?? "").trim();
  return s === "" ? undefined : Number(s);
}

export function StudyForm({
  org,
  pending,
  onSubmit,
}: {
  org: string;
  pending: boolean;
  onSubmit: (spec: CreateStudyInput) => Promise<CreateResult>;
}) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [rows, setRows] = useState<ParamRow[]>(() => rowsFromSpace(DEFAULT_SPACE));
  const [sampler, setSampler] = useState<SearchComponent>({ name: "auto", options: {} });
  const [scheduler, setScheduler] = useState<SearchComponent>({ name: "none", options: {} });
  const trpc = useTRPC();
  const datasets = useQuery(trpc.dataset.list.queryOptions({ org }));
  const uploaded = (datasets.data?.items ?? []).filter((d) => !d.builtin);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const numbers = Object.fromEntries(NUMBER_FIELDS.map((f) => [f.name, toNumber(form.get(f.name))]));
    if (numbers["seed"] === undefined) delete numbers["seed"];
    const input = {
      name: String(form.get("name") ?? ""),
      sampler,
      scheduler,
      objective: String(form.get("objective") ?? "L1"),
      mode: String(form.get("mode") ?? "centralised"),
      task: taskFromChoice(String(form.get("level") ?? "2")),
      ...numbers,
      searchSpace: spaceFromRows(rows),
    };
    const parsed = createStudyInputSchema.safeParse(input);
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error));
      return;
    }
    setErrors({});
    const result = await onSubmit(parsed.data);
    if (!result.ok) setErrors(result.fieldErrors);
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-6" aria-label="Create study">
      <div className="grid gap-4 md:grid-cols-3">
        <div className="md:col-span-2">
          <Field id="name" label="Name" error={errors.name}>
            <input
              id="name"
              name="name"
              defaultValue=""
              className={inputClass}
              aria-invalid={Boolean(errors.name)}
            />
          </Field>
        </div>
        <Field
          id="level"
          label="Task"
          error={errors["task.level"] ?? errors["task.datasetId"] ?? errors.task}
        >
          <select id="level" name="level" defaultValue="2" className={inputClass}>
            <option value="0">Built-in closure, level 0 (data = truth)</option>
            <option value="1">Built-in closure, level 1 (one noise shift)</option>
            <option value="2">Built-in closure, level 2 (pseudo-data per replica)</option>
            {uploaded.map((d) => (
              <option key={d.id} value={`dataset:${d.id}`}>
                Dataset: {d.name} ({d.nPoints} points)
              </option>
            ))}
          </select>
        </Field>
        {NUMBER_FIELDS.map((f) => (
          <Field key={f.name} id={f.name} label={f.label} error={errors[f.name]} hint={f.hint}>
            <input
              id={f.name}
              name={f.name}
              inputMode="numeric"
              defaultValue={f.initial}
              className={inputClass}
              aria-invalid={Boolean(errors[f.name])}
              aria-describedby={errors[f.name] ? `${f.name}-error` : `${f.name}-hint`}
            />
          </Field>
        ))}
        <SearchPicker kind="sampler" value={sampler} onChange={setSampler} errors={errors} />
        <SearchPicker kind="scheduler" value={scheduler} onChange={setScheduler} errors={errors} />
        <Field id="mode" label="Search mode" error={errors.mode}>
          <select id="mode" name="mode" defaultValue="centralised" className={inputClass}>
            {SEARCH_MODES.map((m) => (
              <option key={m} value={m}>
                {m === "centralised"
                  ? "centralised: one sampler proposes"
                  : "decentralized: each runner runs its own BO"}
              </option>
            ))}
          </select>
        </Field>
        <Field id="objective" label="Objective" error={errors.objective}>
          <select id="objective" name="objective" defaultValue="L1" className={inputClass}>
            {OBJECTIVES.map((o) => (
              <option key={o} value={o}>
                {o === "L1" ? "L1: mean held-out χ²" : o === "L2" ? "L2: worst fold χ²" : "L3: 1 / mean φ²"}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        Tabular data of your own: validate and store it on the{" "}
        <Link className={linkClass} href={`/o/${org}/datasets`}>
          Datasets
        </Link>{" "}
        page.
      </p>
      <SpaceBuilder rows={rows} onChange={setRows} sampler={sampler.name} />
      {Object.entries(errors)
        .filter(([k]) => k === "_" || k.startsWith("searchSpace"))
        .map(([k, v]) => (
          <p key={k} role="alert" className="text-sm text-red-700 dark:text-red-300">
            {v}
          </p>
        ))}
      <Button kind="primary" type="submit" disabled={pending} className="px-4 py-2">
        {pending ? "Creating…" : "Create study"}
      </Button>
    </form>
  );
}
