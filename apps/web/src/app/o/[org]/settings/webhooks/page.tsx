"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, use, useState } from "react";
import {
  ActionError,
  Button,
  Card,
  EmptyState,
  ErrorState,
  Field,
  inputClass,
  Loading,
  rowClass,
  TableHead,
  tableClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

// The event types (packages/platform/src/eventLog.ts); none ticked: every type.
const EVENT_TYPES = [
  "trial.started",
  "trial.reported",
  "trial.completed",
  "trial.pruned",
  "trial.failed",
  "trial.waiting",
  "study.state",
] as const;
type EventType = (typeof EVENT_TYPES)[number];

function Deliveries({ org, webhookId }: { org: string; webhookId: string }) {
  const trpc = useTRPC();
  const deliveries = useQuery({
    ...trpc.webhook.deliveries.queryOptions({ org, webhookId, take: 50 }),
    refetchInterval: 5000,
  });
  if (deliveries.isLoading) return <Loading what="deliveries" />;
  if (deliveries.error) return <ErrorState error={deliveries.error} what="deliveries" />;
  const items = deliveries.data?.items ?? [];
  if (items.length === 0)
    return (
      <EmptyState title="No deliveries yet.">Events after the hook was created are sent here.</EmptyState>
    );
  return (
    <table className={tableClass} data-testid="deliveries-table">
      <TableHead columns={["Delivery id", "Event", "State", "Attempts", "Last answer", "Created"]} />
      <tbody>
        {items.map((d) => (
          <tr key={d.id} className={rowClass} data-testid="delivery-row">
            <td className="py-2 pr-3 font-mono text-xs">{d.id}</td>
            <td className="pr-3 font-mono text-xs">
              {d.eventType} #{d.eventId}
            </td>
            <td className="pr-3">{d.state}</td>
            <td className="pr-3">{d.attempts}</td>
            <td className="pr-3">{d.lastError ?? (d.lastStatus ? `HTTP ${d.lastStatus}` : "-")}</td>
            <td className="pr-3">{new Date(d.createdAt).toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function WebhooksPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hooks = useQuery(trpc.webhook.list.queryOptions({ org }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhook.list.queryKey({ org }) });
  const create = useMutation(
    trpc.webhook.create.mutationOptions({
      onSuccess: (res) => {
        setCreated({ url: res.url, secret: res.secret });
        void refresh();
      },
      onError: (err) =>
        setErrors(
          (err.data as { fieldErrors?: Record<string, string> } | undefined)?.fieldErrors ?? {
            _: err.message,
          },
        ),
    }),
  );
  const remove = useMutation(trpc.webhook.delete.mutationOptions({ onSuccess: () => void refresh() }));

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setErrors({});
    setCreated(null);
    create.mutate({
      org,
      url: String(form.get("hook-url") ?? ""),
      description: String(form.get("hook-description") ?? ""),
      events: form.getAll("hook-event").map(String) as EventType[],
    });
  }

  return (
    <div className="space-y-4">
      <Card title="New webhook">
        <form onSubmit={submit} noValidate className="space-y-3" aria-label="Create webhook">
          <div className="grid gap-4 md:grid-cols-2">
            <Field
              id="hook-url"
              label="URL"
              error={errors["url"]}
              hint="http or https; public addresses only"
            >
              <input
                id="hook-url"
                name="hook-url"
                className={inputClass}
                placeholder="https://example.org/hens"
              />
            </Field>
            <Field id="hook-description" label="Description" error={errors["description"]} hint="optional">
              <input id="hook-description" name="hook-description" className={inputClass} />
            </Field>
          </div>
          <fieldset>
            <legend className="text-sm font-medium">Events (none ticked: all)</legend>
            <div className="mt-1 flex flex-wrap gap-4">
              {EVENT_TYPES.map((t) => (
                <label key={t} className="flex items-center gap-1 text-sm">
                  <input type="checkbox" name="hook-event" value={t} />
                  <code>{t}</code>
                </label>
              ))}
            </div>
          </fieldset>
          <ActionError message={errors["_"]} />
          <Button kind="primary" type="submit" disabled={create.isPending}>
            Create webhook
          </Button>
        </form>
        {created ? (
          <div
            role="status"
            className="mt-4 rounded border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950"
            data-testid="new-webhook"
          >
            <p className="font-medium">
              Signing secret for {created.url}: copy it now, it is shown only once. Verify each delivery’s
              X-Hens-Signature with it (docs/api.md, “Webhooks”).
            </p>
            <code
              className="mt-2 block break-all rounded bg-white px-2 py-1 dark:bg-slate-900"
              data-testid="webhook-secret"
            >
              {created.secret}
            </code>
            <Button onClick={() => setCreated(null)}>I have stored it</Button>
          </div>
        ) : null}
      </Card>
      <Card title="Webhooks">
        {hooks.isLoading ? <Loading what="webhooks" /> : null}
        <ErrorState error={hooks.error} what="webhooks" />
        {hooks.data && hooks.data.items.length === 0 ? (
          <EmptyState title="No webhooks yet.">
            Create one above to receive trial and study events.
          </EmptyState>
        ) : null}
        {hooks.data && hooks.data.items.length > 0 ? (
          <table className={tableClass} data-testid="webhooks-table">
            <TableHead columns={["URL", "Events", "Description", "Created", { srOnly: "Actions" }]} />
            <tbody>
              {hooks.data.items.map((h) => (
                <tr key={h.id} className={rowClass} data-testid="webhook-row">
                  <td className="py-2 pr-3 font-mono text-xs break-all">{h.url}</td>
                  <td className="pr-3 font-mono text-xs">{h.events.length ? h.events.join(" ") : "all"}</td>
                  <td className="pr-3">{h.description}</td>
                  <td className="pr-3">{new Date(h.createdAt).toLocaleDateString()}</td>
                  <td className="flex gap-2 pr-3">
                    <Button
                      onClick={() => setOpen(open === h.id ? null : h.id)}
                      aria-expanded={open === h.id}
                    >
                      Deliveries
                    </Button>
                    <Button
                      kind="danger"
                      aria-label={`Delete ${h.url}`}
                      onClick={() => remove.mutate({ org, webhookId: h.id })}
                    >
                      Delete
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Card>
      {open ? (
        <Card title="Delivery log">
          <Deliveries org={org} webhookId={open} />
        </Card>
      ) : null}
    </div>
  );
}
