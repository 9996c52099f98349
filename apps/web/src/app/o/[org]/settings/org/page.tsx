"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, use, useState } from "react";
import {
  ActionError,
  Button,
  Card,
  ConfirmButton,
  ErrorState,
  Field,
  fmtSeconds,
  inputClass,
  Loading,
  rowClass,
  TableHead,
  tableClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

/** The organisation itself: name, usage per month, ownership, leaving and deletion. */
export default function OrgSettingsPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const trpc = useTRPC();
  const mine = useQuery(trpc.org.mine.queryOptions());
  const usage = useQuery(trpc.org.usage.queryOptions({ org, months: 12 }));
  const me = mine.data?.find((o) => o.slug === org);
  const isOwner = me?.role === "OWNER";
  const members = useQuery({ ...trpc.member.list.queryOptions({ org }), enabled: isOwner });
  const [message, setMessage] = useState<string | null>(null);
  const onError = (err: { message: string }) => setMessage(err.message);
  const rename = useMutation(
    trpc.org.rename.mutationOptions({
      // A new slug moves the page: the old URL answers 404.
      onSuccess: (renamed) => {
        window.location.href = `/o/${renamed.slug}/settings/org`;
      },
      onError,
    }),
  );
  const transfer = useMutation(
    trpc.org.transferOwnership.mutationOptions({ onSuccess: () => window.location.reload(), onError }),
  );
  const leave = useMutation(
    trpc.org.leave.mutationOptions({
      onSuccess: () => {
        window.location.href = "/";
      },
      onError,
    }),
  );
  const remove = useMutation(
    trpc.org.delete.mutationOptions({
      onSuccess: () => {
        window.location.href = "/";
      },
      onError,
    }),
  );
  const form = (e: FormEvent<HTMLFormElement>, name: string) => {
    e.preventDefault();
    setMessage(null);
    return String(new FormData(e.currentTarget).get(name) ?? "");
  };

  if (mine.isLoading) return <Loading what="the organisation" />;
  if (!me) return <ErrorState error={mine.error} what="the organisation" />;
  return (
    <div className="space-y-4">
      <ActionError message={message} />
      <Card title="Name">
        {isOwner ? (
          <form
            onSubmit={(e) => {
              const slug = String(new FormData(e.currentTarget).get("org-slug") ?? "").trim();
              rename.mutate({ org, name: form(e, "org-name"), ...(slug && slug !== org ? { slug } : {}) });
            }}
            className="flex flex-wrap items-end gap-3"
          >
            <Field id="org-name" label="Organisation name">
              <input id="org-name" name="org-name" defaultValue={me.name} className={inputClass} />
            </Field>
            <Field id="org-slug" label="Slug (in every URL)" hint="Links with the old slug stop working">
              <input id="org-slug" name="org-slug" defaultValue={org} className={inputClass} />
            </Field>
            <Button kind="primary" type="submit">
              Rename
            </Button>
          </form>
        ) : (
          <p className="text-sm">
            {me.name} ({org}); you are {me.role}.
          </p>
        )}
      </Card>
      <Card title="Usage per month">
        {usage.isLoading ? <Loading what="usage" /> : null}
        <ErrorState error={usage.error} what="usage" />
        {usage.data ? (
          <>
            <p className="mb-2 text-sm">
              Stored now: {mib(usage.data.storageBytes)} of the organisation's quota of{" "}
              {mib(usage.data.storageQuotaBytes)}
            </p>
            <table className={tableClass} data-testid="usage-table">
              <TableHead columns={["Month", "Trials", "Runner time", "Datasets uploaded"]} />
              <tbody>
                {usage.data.months.map((m) => (
                  <tr key={m.month} className={rowClass}>
                    <td className="py-1 pr-3">{m.month}</td>
                    <td className="pr-3">{m.trials}</td>
                    <td className="pr-3">{fmtSeconds(m.runnerSeconds)}</td>
                    <td className="pr-3">{mib(m.datasetBytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : null}
      </Card>
      {isOwner && members.data ? (
        <Card title="Transfer ownership">
          <form
            onSubmit={(e) => transfer.mutate({ org, userId: form(e, "new-owner") })}
            className="flex flex-wrap items-end gap-3"
          >
            <Field id="new-owner" label="New owner (you become ADMIN)">
              <select id="new-owner" name="new-owner" className={inputClass}>
                {members.data.items
                  .filter((m) => m.role !== "OWNER")
                  .map((m) => (
                    <option key={m.userId} value={m.userId}>
                      {m.email} ({m.role})
                    </option>
                  ))}
              </select>
            </Field>
            <Button type="submit">Transfer</Button>
          </form>
        </Card>
      ) : null}
      <Card title="Leave">
        <p className="mb-3 text-sm">You lose access to its studies; an admin can invite you again.</p>
        <ConfirmButton question={`Leave ${me.name}?`} onConfirm={() => leave.mutate({ org })}>
          Leave organisation
        </ConfirmButton>
      </Card>
      {isOwner ? (
        <Card title="Delete organisation">
          <p className="mb-3 text-sm">
            Running studies are cancelled; studies, trials, datasets, tokens and memberships are removed. Only
            the audit log is kept. This cannot be undone.
          </p>
          <form
            onSubmit={(e) => remove.mutate({ org, confirm: form(e, "confirm-slug") })}
            className="flex flex-wrap items-end gap-3"
          >
            <Field id="confirm-slug" label={`Type ${org} to confirm`}>
              <input id="confirm-slug" name="confirm-slug" className={inputClass} autoComplete="off" />
            </Field>
            <Button kind="danger" type="submit" disabled={remove.isPending}>
              Delete organisation
            </Button>
          </form>
        </Card>
      ) : null}
    </div>
  );
}
