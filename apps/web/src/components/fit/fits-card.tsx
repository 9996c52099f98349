"use client";

import { createFitInputSchema, fieldErrors } from "@hyperensemble/platform/schema";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";
import {
  Button,
  Card,
  Field,
  fmtSeconds,
  inputClass,
  linkClass,
  rowClass,
  StateBadge,
  TableHead,
  tableClass,
} from "../ui";

type Errors = Record<string, string>;

/** Start a fit: replicas and the post-fit rule, from the selected configuration or a named trial. */
function StartFitForm({
  org,
  studyId,
  selected,
  fromTrial,
}: {
  org: string;
  studyId: string;
  selected: number | null;
  /** A trial chosen in its detail dialog (?fitFrom=N), else the selected configuration. */
  fromTrial: number | null;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({
    replicas: "100",
    trial: fromTrial === null ? "" : String(fromTrial),
    chi2Sigma: "4",
    positivityTolerance: "1e-6",
    integrabilityThreshold: "",
  });
  const [errors, setErrors] = useState<Errors>({});
  const create = useMutation(
    trpc.fit.create.mutationOptions({
      onSuccess: (fit) => {
        void queryClient.invalidateQueries({ queryKey: trpc.fit.list.queryKey({ org, studyId }) });
        router.push(`/o/${org}/fits/${fit.id}`);
      },
      onError: (err) =>
        setErrors(
          (err.data as { fieldErrors?: Errors | null } | undefined)?.fieldErrors ?? { _: err.message },
        ),
    }),
  );
  const num = (v: string) => (v.trim() === "" ? undefined : Number(v));
  function submit(e: React.FormEvent) {
    e.preventDefault();
    const input = {
      studyId,
      replicas: num(form.replicas),
      ...(form.trial.trim() === "" ? {} : { trial: num(form.trial) }),
      rule: {
        chi2Sigma: num(form.chi2Sigma),
        positivityTolerance: num(form.positivityTolerance),
        ...(form.integrabilityThreshold.trim() === ""
          ? {}
          : { integrabilityThreshold: num(form.integrabilityThreshold) }),
      },
    };
    // the server's schema, run here first, so a wrong field is named before any request
    const parsed = createFitInputSchema.safeParse(input);
    if (!parsed.success) return setErrors(fieldErrors(parsed.error));
    setErrors({});
    create.mutate({ org, ...parsed.data });
  }
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  const input = (k: keyof typeof form, id: string, errorKey: string, extra = {}) => (
    <input
      id={id}
      className={inputClass}
      value={form[k]}
      onChange={set(k)}
      inputMode="decimal"
      aria-invalid={errors[errorKey] ? true : undefined}
      aria-describedby={errors[errorKey] ? `${id}-error` : `${id}-hint`}
      {...extra}
    />
  );
  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Start a fit" noValidate>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-5">
        <Field
          id="fit-replicas"
          label="Replicas"
          error={errors["replicas"]}
          hint="1 to your organisation's limit (1,000 unless raised)"
        >
          {input("replicas", "fit-replicas", "replicas")}
        </Field>
        <Field
          id="fit-trial"
          label="Trial"
          error={errors["trial"]}
          hint={selected === null ? "a trial number" : `empty: the selected configuration (#${selected})`}
        >
          {input("trial", "fit-trial", "trial", { inputMode: "numeric" })}
        </Field>
        <Field
          id="fit-sigma"
          label="χ² cut (n σ)"
          error={errors["rule.chi2Sigma"]}
          hint="discard χ² > mean + nσ"
        >
          {input("chi2Sigma", "fit-sigma", "rule.chi2Sigma")}
        </Field>
        <Field
          id="fit-positivity"
          label="Positivity tolerance"
          error={errors["rule.positivityTolerance"]}
          hint="discard below −tolerance"
        >
          {input("positivityTolerance", "fit-positivity", "rule.positivityTolerance")}
        </Field>
        <Field
          id="fit-integrability"
          label="Integrability threshold"
          error={errors["rule.integrabilityThreshold"]}
          hint="empty: no check"
        >
          {input("integrabilityThreshold", "fit-integrability", "rule.integrabilityThreshold")}
        </Field>
      </div>
      {errors["_"] || errors["studyId"] ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          {errors["_"] ?? errors["studyId"]}
        </p>
      ) : null}
      <Button kind="primary" type="submit" disabled={create.isPending}>
        {create.isPending ? "Starting…" : "Start a fit"}
      </Button>
    </form>
  );
}

/** The study's fits (newest first) with their state, and the form that starts one. */
export function FitsCard({
  org,
  studyId,
  selected,
  fromTrial,
}: {
  org: string;
  studyId: string;
  selected: number | null;
  fromTrial: number | null;
}) {
  const trpc = useTRPC();
  const list = useQuery({
    ...trpc.fit.list.queryOptions({ org, studyId }),
    // live while a fit is queued or running: fits are not in the study's event stream
    refetchInterval: (q) =>
      q.state.data?.some((f) => f.state === "QUEUED" || f.state === "RUNNING") ? 2000 : false,
  });
  const [picked, setPicked] = useState<string[]>([]);
  const toggle = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  const fits = list.data ?? [];
  return (
    <Card title="Final fits" testId="fits-card">
      <StartFitForm org={org} studyId={studyId} selected={selected} fromTrial={fromTrial} />
      {fits.length > 0 ? (
        <div className="mt-4">
          <table className={tableClass} data-testid="fits-table">
            <TableHead
              columns={[
                { srOnly: "Compare" },
                "Fit",
                "State",
                "Trial",
                "Replicas",
                "Kept / discarded",
                "Runner time",
              ]}
            />
            <tbody>
              {fits.map((f) => (
                <tr key={f.id} className={rowClass}>
                  <td className="py-1 pr-2">
                    <input
                      type="checkbox"
                      aria-label={`Compare fit ${f.id}`}
                      checked={picked.includes(f.id)}
                      disabled={f.state !== "COMPLETED"}
                      onChange={() => toggle(f.id)}
                    />
                  </td>
                  <td className="py-1 pr-2 font-mono text-xs">
                    <Link className={linkClass} href={`/o/${org}/fits/${f.id}`}>
                      {f.id.slice(-8)}
                    </Link>
                  </td>
                  <td className="py-1 pr-2">
                    <StateBadge state={f.state} />
                    {f.state === "RUNNING" ? ` ${Math.round(100 * f.progress)}%` : ""}
                  </td>
                  <td className="py-1 pr-2">#{f.trialNumber}</td>
                  <td className="py-1 pr-2">{f.replicas}</td>
                  <td className="py-1 pr-2">{f.kept === null ? "–" : `${f.kept} / ${f.discarded ?? 0}`}</td>
                  <td className="py-1 pr-2">{fmtSeconds(f.runnerSeconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {picked.length === 2 ? (
            <p className="mt-2 text-sm">
              <Link className={linkClass} href={`/o/${org}/fits/compare?a=${picked[0]}&b=${picked[1]}`}>
                Compare the two selected fits
              </Link>
            </p>
          ) : (
            <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
              Tick two completed fits to compare them.
            </p>
          )}
        </div>
      ) : null}
    </Card>
  );
}
