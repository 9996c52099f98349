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
import { type ChangeEvent, type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { checkSpace, DEFAULT_SPACE } from "@/lib/spec";
import { useTRPC } from "@/trpc/react";
import { type SearchComponent, SearchPicker } from "./search-options";
import { type ParamRow, rowsFromSpace, SpaceBuilder, spaceFromRows } from "./space-builder";
import type { CreateResult } from "./spec-editor";
import { Button, Field, inputClass, linkClass } from "./ui";

const NUMBER_FIELDS = [
  { name: "replicas", label: "Replicas per trial", initial: "16", hint: "ensemble members trained together" },
  { name: "trials", label: "Trials (budget)", initial: "8", hint: "the study stops after this many" },
  { name: "folds", label: "Folds", initial: "2", hint: "each fold holds out one sub-dataset" },
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

/** The form's label for an API field name, so messages read "Max epochs must be a number". */
const FIELD_LABELS: Record<string, string> = {
  name: "Name",
  task: "Task",
  "task.level": "Task",
  "task.datasetId": "Task",
  ...Object.fromEntries(NUMBER_FIELDS.map((f) => [f.name, f.label.replace(/ \(.*\)$/, "")])),
  sampler: "Sampler",
  scheduler: "Scheduler",
  mode: "Search mode",
  objective: "Objective",
};

/** Server and schema messages start with the field's API name; people see its label instead. */
export function forPeople(errors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(errors).map(([path, message]) => {
      const label = FIELD_LABELS[path];
      return [
        path,
        label && message.startsWith(`${path} `) ? `${label}${message.slice(path.length)}` : message,
      ];
    }),
  );
}

/** What the form starts from: defaults, or a study being cloned (its settings, a new name). */
export interface StudyFormInitial {
  name?: string;
  task?: { kind: string; level?: number; datasetId?: string };
  numbers?: Partial<Record<(typeof NUMBER_FIELDS)[number]["name"], number>>;
  sampler?: string;
  samplerOptions?: Record<string, unknown>;
  scheduler?: string;
  schedulerOptions?: Record<string, unknown>;
  mode?: string;
  objective?: string;
  searchSpace?: Record<string, unknown>;
  /** A cloned study's fixed settings: kept as they are (the spec editor edits them). */
  fixed?: Record<string, number | string | boolean>;
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
  initial = {},
}: {
  org: string;
  pending: boolean;
  onSubmit: (spec: CreateStudyInput) => Promise<CreateResult>;
  initial?: StudyFormInitial;
}) {
  const [errors, setErrorsRaw] = useState<Record<string, string>>({});
  const [rows, setRows] = useState<ParamRow[]>(() => rowsFromSpace(initial.searchSpace ?? DEFAULT_SPACE));
  const [sampler, setSampler] = useState<SearchComponent>({
    name: initial.sampler ?? "auto",
    options: initial.samplerOptions ?? {},
  });
  const [scheduler, setScheduler] = useState<SearchComponent>({
    name: initial.scheduler ?? "none",
    options: initial.schedulerOptions ?? {},
  });
  const [seedText, setSeedText] = useState(
    initial.numbers?.seed === undefined ? "" : String(initial.numbers.seed),
  );
  const initialTask =
    initial.task?.kind === "dataset" ? `dataset:${initial.task.datasetId}` : String(initial.task?.level ?? 2);
  const [task, setTask] = useState(initialTask);
  const formRef = useRef<HTMLFormElement>(null);
  const trpc = useTRPC();
  const datasets = useQuery(trpc.dataset.list.queryOptions({ org }));
  const uploaded = (datasets.data?.items ?? []).filter((d) => !d.builtin);
  const fixed = initial.fixed && Object.keys(initial.fixed).length > 0 ? initial.fixed : undefined;
  const spaceIssues = useMemo(() => checkSpace(spaceFromRows(rows)), [rows]);
  const seedNumber = /^\d+$/.test(seedText.trim()) ? Number(seedText.trim()) : undefined;
  const subsetsOf = (d: { summary: unknown }) =>
    ((d.summary as { subsets?: unknown[] } | null)?.subsets ?? []).length;
  const chosen = uploaded.find((d) => `dataset:${d.id}` === task);
  const foldsHint = chosen
    ? `each fold holds out one sub-dataset: 1–${subsetsOf(chosen)} on “${chosen.name}” (${subsetsOf(chosen)} sub-datasets)`
    : "each fold holds out one sub-dataset: 1–6 on the closure task";
  // Errors in people's words, and the first invalid field focused (after React marks it invalid).
  const focusPending = useRef(false);
  const setErrors = (next: Record<string, string>) => {
    focusPending.current = true;
    setErrorsRaw(forPeople(next));
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each new set of errors renders
  useEffect(() => {
    // The fields (or the builder's cells) carry aria-invalid by now.
    if (!focusPending.current) return;
    focusPending.current = false;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

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
      ...(fixed ? { fixed } : {}),
    };
    const parsed = createStudyInputSchema.safeParse(input);
    if (!parsed.success || spaceIssues.length > 0) {
      setErrors(parsed.success ? {} : fieldErrors(parsed.error));
      return;
    }
    if (chosen && parsed.data.folds > subsetsOf(chosen)) {
      setErrors({
        folds: `Folds must be 1 to ${subsetsOf(chosen)}: “${chosen.name}” has ${subsetsOf(chosen)} sub-datasets`,
      });
      return;
    }
    setErrorsRaw({});
    const result = await onSubmit(parsed.data);
    if (!result.ok) setErrors(result.fieldErrors);
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="space-y-6" aria-label="Create study">
      <div className="grid grid-cols-1 gap-4 md:grid-cols-3">
        <div className="md:col-span-2">
          <Field id="name" label="Name" error={errors.name}>
            <input
              id="name"
              name="name"
              defaultValue={initial.name ?? ""}
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
          <select
            id="level"
            name="level"
            value={task}
            onChange={(e) => setTask(e.target.value)}
            className={inputClass}
            aria-invalid={Boolean(errors["task.level"] ?? errors["task.datasetId"] ?? errors.task)}
          >
            <option value="0">Built-in closure, level 0 (data = truth)</option>
            <option value="1">Built-in closure, level 1 (one noise shift)</option>
            <option value="2">Built-in closure, level 2 (pseudo-data per replica)</option>
            {uploaded.map((d) => (
              <option key={d.id} value={`dataset:${d.id}`}>
                Dataset: {d.name} ({d.nPoints} points, {subsetsOf(d)} sub-datasets)
              </option>
            ))}
          </select>
        </Field>
        {NUMBER_FIELDS.map((f) => (
          <Field
            key={f.name}
            id={f.name}
            label={f.label}
            error={errors[f.name]}
            hint={f.name === "folds" ? foldsHint : f.hint}
          >
            <input
              id={f.name}
              name={f.name}
              inputMode="numeric"
              {...(f.name === "seed"
                ? {
                    value: seedText,
                    onChange: (e: ChangeEvent<HTMLInputElement>) => setSeedText(e.target.value),
                  }
                : { defaultValue: initial.numbers?.[f.name] ?? f.initial })}
              className={inputClass}
              aria-invalid={Boolean(errors[f.name])}
              aria-describedby={errors[f.name] ? `${f.name}-error` : `${f.name}-hint`}
            />
          </Field>
        ))}
        <SearchPicker kind="sampler" value={sampler} onChange={setSampler} errors={errors} />
        <SearchPicker kind="scheduler" value={scheduler} onChange={setScheduler} errors={errors} />
        <Field id="mode" label="Search mode" error={errors.mode}>
          <select id="mode" name="mode" defaultValue={initial.mode ?? "centralised"} className={inputClass}>
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
          <select
            id="objective"
            name="objective"
            defaultValue={initial.objective ?? "L1"}
            className={inputClass}
          >
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
      <SpaceBuilder
        rows={rows}
        onChange={setRows}
        sampler={sampler.name}
        seed={seedNumber}
        issues={spaceIssues}
      />
      {fixed ? (
        <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="fixed-settings">
          Fixed for every trial (from the cloned study):{" "}
          {Object.entries(fixed)
            .map(([name, value]) => `${name} = ${String(value)}`)
            .join(", ")}
        </p>
      ) : null}
      {Object.entries(errors)
        // The builder lists the space's problems itself; the server's are shown only when it has none.
        .filter(
          ([k]) =>
            k === "_" || k.startsWith("fixed") || (k.startsWith("searchSpace") && spaceIssues.length === 0),
        )
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
