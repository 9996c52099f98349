"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, use, useState } from "react";
import {
  ActionError,
  Button,
  Card,
  ErrorState,
  Field,
  inputClass,
  Loading,
  PageHeader,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

/** One organisation's quotas and limits: blank means the environment's default. */
export default function AdminOrgLimitsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = use(params);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const limits = useQuery(trpc.admin.orgLimits.queryOptions({ orgSlug: slug }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const save = useMutation(
    trpc.admin.setOrgLimits.mutationOptions({
      onSuccess: () => {
        setSaved(true);
        void queryClient.invalidateQueries({ queryKey: trpc.admin.orgLimits.queryKey({ orgSlug: slug }) });
      },
      onError: (err) =>
        setErrors(
          (err.data as { fieldErrors?: Record<string, string> | null })?.fieldErrors ?? { _: err.message },
        ),
    }),
  );
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setErrors({});
    setSaved(false);
    const form = new FormData(e.currentTarget);
    const changes: Record<string, number | null> = {};
    for (const l of limits.data?.limits ?? []) {
      const raw = String(form.get(l.name) ?? "").trim();
      changes[l.name] = raw === "" ? null : Number(raw);
    }
    save.mutate({ orgSlug: slug, limits: changes });
  }
  if (limits.isLoading) return <Loading what="limits" />;
  if (!limits.data) return <ErrorState error={limits.error} what="limits" />;
  return (
    <>
      <PageHeader title={`${limits.data.org.name}: quotas and limits`} />
      <Card>
        {saved ? (
          <p role="status" className="mb-2 text-sm text-emerald-800 dark:text-emerald-200">
            Saved. New studies are checked against these limits.
          </p>
        ) : null}
        <ActionError message={errors["_"]} className="mb-2" />
        <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2" noValidate>
          {limits.data.limits.map((l) => (
            <Field
              key={l.name}
              id={l.name}
              label={l.name}
              error={errors[`limits.${l.name}`]}
              hint={`In force: ${l.value ?? "no limit"}${l.name === "maxStorageBytes" && l.value !== null ? ` bytes = ${(l.value / 1024 ** 3).toFixed(2)} GiB` : ""} (${l.source})`}
            >
              <input
                id={l.name}
                name={l.name}
                inputMode="decimal"
                defaultValue={l.override ?? ""}
                placeholder="default"
                className={inputClass}
              />
            </Field>
          ))}
          <div className="sm:col-span-2">
            <Button kind="primary" type="submit" disabled={save.isPending}>
              Save limits
            </Button>
          </div>
        </form>
      </Card>
    </>
  );
}
