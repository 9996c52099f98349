"use client";

import { createStudyInputSchema, fieldErrors, SAMPLERS } from "@hyperensemble/platform/schema";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, use, useState } from "react";
import { Card } from "@/components/ui";
import { useTRPC } from "@/trpc/react";

const NUMBER_FIELDS = [
  { name: "replicas", label: "Replicas per trial", initial: "16" },
  { name: "trials", label: "Trials", initial: "8" },
  { name: "folds", label: "Folds", initial: "2" },
  { name: "maxEpochs", label: "Max epochs", initial: "400" },
  { name: "parallelism", label: "Parallel trials", initial: "2" },
] as const;

// A blank or non-numeric entry stays visible to the schema as NaN/undefined, so it names the field.
function toNumber(raw: FormDataEntryValue | null): number | undefined {
  const s = String(raw ?? "").trim();
  return s === "" ? undefined : Number(s);
}

export default function NewStudyPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const router = useRouter();
  const trpc = useTRPC();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation(trpc.study.create.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = {
      name: String(form.get("name") ?? ""),
      sampler: String(form.get("sampler") ?? "random"),
      task: { kind: "closure" as const, level: Number(form.get("level") ?? 2) },
      ...Object.fromEntries(NUMBER_FIELDS.map((f) => [f.name, toNumber(form.get(f.name))])),
    };
    const parsed = createStudyInputSchema.safeParse(input);
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error));
      return;
    }
    setErrors({});
    try {
      const { id } = await create.mutateAsync({ org, ...parsed.data });
      router.push(`/o/${org}/studies/${id}`);
    } catch (err) {
      const data = (err as { data?: { fieldErrors?: Record<string, string> | null } }).data;
      setErrors(data?.fieldErrors ?? { _: (err as Error).message });
    }
  }

  return (
    <div className="max-w-xl space-y-4">
      <h1 className="text-2xl font-semibold">New study</h1>
      <p className="text-sm text-slate-500">
        The built-in proton-structure closure task: every trial trains an ensemble of replicas and is scored
        by held-out fold chi2 (L1) and the ensemble spread phi2.
      </p>
      <Card>
        <form onSubmit={onSubmit} noValidate className="space-y-4" aria-label="Create study">
          <Field id="name" label="Name" error={errors.name}>
            <input
              id="name"
              name="name"
              defaultValue=""
              className={inputClass}
              aria-invalid={Boolean(errors.name)}
            />
          </Field>
          {NUMBER_FIELDS.map((f) => (
            <Field key={f.name} id={f.name} label={f.label} error={errors[f.name]}>
              <input
                id={f.name}
                name={f.name}
                inputMode="numeric"
                defaultValue={f.initial}
                className={inputClass}
                aria-invalid={Boolean(errors[f.name])}
              />
            </Field>
          ))}
          <Field id="level" label="Closure level" error={errors["task.level"]}>
            <select id="level" name="level" defaultValue="2" className={inputClass}>
              <option value="0">0 – data equal truth</option>
              <option value="1">1 – one fixed noise shift</option>
              <option value="2">2 – level 1 plus pseudo-data per replica</option>
            </select>
          </Field>
          <Field id="sampler" label="Sampler" error={errors.sampler}>
            <select id="sampler" name="sampler" defaultValue="random" className={inputClass}>
              {SAMPLERS.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </Field>
          {errors._ ? (
            <p role="alert" className="text-sm text-red-600">
              {errors._}
            </p>
          ) : null}
          <button
            type="submit"
            disabled={create.isPending}
            className="rounded bg-indigo-600 px-4 py-2 font-medium text-white disabled:opacity-50"
          >
            {create.isPending ? "Creating…" : "Create study"}
          </button>
        </form>
      </Card>
    </div>
  );
}

const inputClass =
  "mt-1 w-full rounded border border-slate-300 px-3 py-2 dark:border-slate-700 dark:bg-slate-800";

function Field({
  id,
  label,
  error,
  children,
}: {
  id: string;
  label: string;
  error?: string | undefined;
  children: React.ReactNode;
}) {
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {error ? (
        <p id={`${id}-error`} role="alert" className="mt-1 text-sm text-red-600">
          {error}
        </p>
      ) : null}
    </div>
  );
}
