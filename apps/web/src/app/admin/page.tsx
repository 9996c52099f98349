"use client";

import { useQuery } from "@tanstack/react-query";
import {
  Card,
  ErrorState,
  fmtSeconds,
  Loading,
  PageHeader,
  rowClass,
  TableHead,
  tableClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

export default function AdminOverviewPage() {
  const trpc = useTRPC();
  const usage = useQuery(trpc.admin.usage.queryOptions({ months: 3 }));
  const outbox = useQuery(trpc.admin.outbox.queryOptions({ take: 20 }));
  return (
    <>
      <PageHeader title="Platform" />
      <Card title="Usage across organisations (last 3 months)">
        {usage.isLoading ? <Loading what="usage" /> : null}
        <ErrorState error={usage.error} what="usage" />
        {usage.data ? (
          <table className={tableClass} data-testid="platform-usage">
            <TableHead columns={["Organisation", "Trials", "Runner time", "Storage"]} />
            <tbody>
              {usage.data.orgs.map((o) => (
                <tr key={o.slug} className={rowClass}>
                  <td className="py-1 pr-3">
                    <a className="underline" href={`/admin/orgs/${o.slug}`}>
                      {o.name}
                    </a>
                  </td>
                  <td className="pr-3">{o.trials}</td>
                  <td className="pr-3">{fmtSeconds(o.runnerSeconds)}</td>
                  <td className="pr-3">{mib(o.storageBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Card>
      <Card title="Mail outbox (no SMTP configured: these were not sent)">
        {outbox.isLoading ? <Loading what="the outbox" /> : null}
        <ErrorState error={outbox.error} what="the outbox" />
        {outbox.data?.items.length === 0 ? <p className="text-sm">Empty.</p> : null}
        <ul className="space-y-3 text-sm">
          {outbox.data?.items.map((m) => (
            <li key={m.id} className="rounded border border-slate-200 p-2 dark:border-slate-800">
              <p className="font-medium">
                {new Date(m.createdAt).toLocaleString()}: to {m.to}: {m.subject}
              </p>
              <pre className="whitespace-pre-wrap break-all text-xs">{m.text}</pre>
            </li>
          ))}
        </ul>
      </Card>
    </>
  );
}
