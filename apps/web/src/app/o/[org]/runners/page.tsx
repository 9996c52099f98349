"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { use, useState } from "react";
import {
  Card,
  EmptyState,
  ErrorState,
  Loading,
  linkClass,
  PageHeader,
  rowClass,
  StateBadge,
  TableHead,
  tableClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

function ago(date: Date | string): string {
  const s = Math.max(0, (Date.now() - new Date(date).getTime()) / 1000);
  return s < 90
    ? `${Math.round(s)} s ago`
    : s < 5400
      ? `${Math.round(s / 60)} min ago`
      : `${Math.round(s / 3600)} h ago`;
}

/** "2 × NVIDIA H100 (80 GiB), 16 CPUs" from what the runner registered (see gpu-runner device.ts). */
function deviceText(d: Record<string, unknown>): string {
  const gib = (bytes: unknown) => `${Math.round(Number(bytes) / 2 ** 30)} GiB`;
  const gpus = Array.isArray(d["gpus"]) ? (d["gpus"] as Record<string, unknown>[]) : [];
  const gpu = (d["gpu"] as Record<string, unknown> | null | undefined) ?? gpus[0];
  const cpus = d["cpus"] ? `${String(d["cpus"])} CPUs` : "CPU";
  const host = `${cpus}${d["cpuModel"] ? ` (${String(d["cpuModel"])})` : ""}${d["memoryBytes"] ? `, ${gib(d["memoryBytes"])}` : ""}`;
  if (!gpu) return host;
  const count = gpus.length > 1 ? `${gpus.length} × ` : "";
  return `${count}${String(gpu["name"] ?? "GPU")}${gpu["memoryBytes"] ? ` (${gib(gpu["memoryBytes"])})` : ""}; ${host}`;
}

export default function RunnersPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const trpc = useTRPC();
  // Heartbeats are seconds apart; a 10 s refresh is plenty for a status board.
  const runners = useQuery({ ...trpc.runner.list.queryOptions({ org }), refetchInterval: 10_000 });
  const queue = useQuery({ ...trpc.runner.queue.queryOptions({ org }), refetchInterval: 10_000 });
  const [allOffline, setAllOffline] = useState(false);
  // A runner restarted under the same name leaves OFFLINE records behind: one row per name (the
  // latest), with the count of older ones, unless the user asks for all of them.
  const rows = (() => {
    const items = runners.data?.items ?? [];
    if (allOffline) return items.map((r) => ({ ...r, olderOffline: 0 }));
    const seen = new Map<string, { olderOffline: number }>();
    const out: ((typeof items)[number] & { olderOffline: number })[] = [];
    for (const r of items) {
      const key = `${r.shared ? "shared" : "own"}:${r.name}`;
      const first = seen.get(key);
      if (first && r.state === "OFFLINE") {
        first.olderOffline += 1;
        continue;
      }
      const row = { ...r, olderOffline: 0 };
      if (!first) seen.set(key, row);
      out.push(row);
    }
    return out;
  })();
  const hidden = (runners.data?.items.length ?? 0) - rows.length;
  return (
    <div className="space-y-4">
      <PageHeader title="Runners" />
      <Card>
        {runners.isLoading ? <Loading what="runners" /> : null}
        <ErrorState error={runners.error} what="runners" />
        {runners.data && runners.data.items.length === 0 ? (
          <EmptyState title="No runner has registered.">
            Start one with <code>npm run -w @hyperensemble/gpu-runner start</code> (or scale the runner
            deployment); studies wait in the queue until one connects.
          </EmptyState>
        ) : null}
        {runners.data && runners.data.items.length > 0 ? (
          <div className="relative overflow-x-auto">
            <table className={tableClass} data-testid="runners-table">
              <TableHead
                columns={[
                  "Runner",
                  "State",
                  "Device",
                  "Backend",
                  "Slots busy",
                  "Utilisation",
                  "Your running trials",
                  "Last heartbeat",
                ]}
              />
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} className={rowClass} data-testid="runner-row">
                    <td className="py-2 pr-3 font-medium">
                      {r.name}
                      {r.shared ? (
                        <span className="ml-1 text-xs text-slate-600 dark:text-slate-400">(shared)</span>
                      ) : null}
                      {r.olderOffline > 0 ? (
                        <span className="ml-1 text-xs text-slate-600 dark:text-slate-400">
                          (+{r.olderOffline} older offline)
                        </span>
                      ) : null}
                    </td>
                    <td className="pr-3">
                      <StateBadge state={r.state} />
                    </td>
                    <td className="pr-3">{deviceText(r.device)}</td>
                    <td className="pr-3 font-mono">{r.backend}</td>
                    <td className="pr-3">
                      {r.busySlots} / {r.concurrency}
                    </td>
                    <td className="pr-3">
                      <div className="flex items-center gap-2">
                        <div
                          className="h-2 w-20 rounded bg-slate-200 dark:bg-slate-700"
                          role="progressbar"
                          aria-label={`Utilisation of ${r.name}`}
                          aria-valuemin={0}
                          aria-valuemax={100}
                          aria-valuenow={Math.round(r.utilisation * 100)}
                        >
                          <div
                            className="h-2 rounded bg-indigo-600"
                            style={{ width: `${r.utilisation * 100}%` }}
                          />
                        </div>
                        {Math.round(r.utilisation * 100)}%
                      </div>
                    </td>
                    <td className="pr-3">
                      {r.trials.length === 0
                        ? "–"
                        : r.trials.map((t) => (
                            <div key={`${t.studyId}-${t.number}`}>
                              <Link className={linkClass} href={`/o/${org}/studies/${t.studyId}`}>
                                {t.studyName} #{t.number}
                              </Link>
                            </div>
                          ))}
                    </td>
                    <td className="pr-3 whitespace-nowrap" title={new Date(r.heartbeatAt).toISOString()}>
                      {ago(r.heartbeatAt)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {hidden > 0 || allOffline ? (
          <button
            type="button"
            className={`mt-2 text-sm ${linkClass}`}
            onClick={() => setAllOffline((v) => !v)}
            data-testid="toggle-offline"
          >
            {allOffline ? "Collapse older offline records" : `Show ${hidden} older offline records`}
          </button>
        ) : null}
        <p className="mt-3 text-xs text-slate-600 dark:text-slate-400">
          Utilisation: busy time over uptime × slots since the runner started. Shared runners also serve other
          organisations; only your trials are listed.
        </p>
      </Card>
      <Card title="Queue" testId="queue">
        {queue.isLoading ? <Loading what="queue" /> : null}
        <ErrorState error={queue.error} what="queue" />
        {queue.data ? (
          <>
            <p className="mb-2 text-sm" data-testid="queue-summary">
              {queue.data.total} waiting {queue.data.total === 1 ? "trial" : "trials"} of this organisation;{" "}
              {queue.data.busySlots} of {queue.data.slots} slots busy on {queue.data.liveRunners} live{" "}
              {queue.data.liveRunners === 1 ? "runner" : "runners"}.
            </p>
            {queue.data.items.length === 0 ? (
              <EmptyState title="Nothing is waiting." />
            ) : (
              <div className="relative overflow-x-auto">
                <table className={tableClass} data-testid="queue-table">
                  <TableHead columns={["Position", "Trial", "Waiting since", "Why it waits"]} />
                  <tbody>
                    {queue.data.items.map((t) => (
                      <tr key={`${t.studyId}-${t.number}`} className={rowClass} data-testid="queue-row">
                        <td className="py-2 pr-3">{t.position}</td>
                        <td className="pr-3">
                          <Link
                            className={linkClass}
                            href={`/o/${org}/studies/${t.studyId}?trial=${t.number}`}
                          >
                            {t.studyName} #{t.number}
                          </Link>
                        </td>
                        <td className="pr-3 whitespace-nowrap">{ago(t.queuedAt)}</td>
                        <td className="pr-3">{t.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
              Oldest first, as runners take trials of equal priority; under an organisation limit the queue
              interleaves organisations.
            </p>
          </>
        ) : null}
      </Card>
    </div>
  );
}
