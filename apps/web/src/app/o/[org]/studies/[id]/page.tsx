"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { use } from "react";
import { HistoryChart } from "@/components/charts";
import { Card, fmt, StateBadge } from "@/components/ui";
import { useTRPC } from "@/trpc/react";

export default function StudyPage({ params }: { params: Promise<{ org: string; id: string }> }) {
  const { org, id } = use(params);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const queryOptions = trpc.study.get.queryOptions({ org, studyId: id });
  const study = useQuery({ ...queryOptions, refetchInterval: 30_000 });
  // Live: the server pushes a hint on every trial/study change; we re-read the study.
  const live = useSubscription(
    trpc.study.onChange.subscriptionOptions(
      { org, studyId: id },
      { onData: () => void queryClient.invalidateQueries({ queryKey: queryOptions.queryKey }) },
    ),
  );

  if (study.isLoading) return <p>Loading…</p>;
  if (study.error) return <p role="alert">{study.error.message}</p>;
  if (!study.data) return null;
  const { study: s, selection } = study.data;
  const trials = s.trials;
  const done = trials.filter((t) => ["COMPLETE", "PRUNED", "FAIL"].includes(t.state)).length;
  const best = trials.find((t) => t.id === selection?.argmin);
  const selected = trials.find((t) => t.id === selection?.selected);
  const ensemble = s.ensemble as { replicas: number; folds: number };

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold" data-testid="study-name">
          {s.name}
        </h1>
        <span data-testid="study-state">
          <StateBadge state={s.state} />
        </span>
        <span className="text-xs text-slate-500" data-testid="live-status">
          {live.status === "pending" ? "● live" : live.status}
        </span>
      </div>
      <div className="grid gap-4 md:grid-cols-4">
        <Card title="Progress">
          <p className="text-2xl font-semibold" data-testid="progress">
            {done} / {s.maxTrials}
          </p>
          <div className="mt-2 h-2 rounded bg-slate-200 dark:bg-slate-800">
            <div
              className="h-2 rounded bg-indigo-600"
              style={{ width: `${(100 * done) / Math.max(1, s.maxTrials)}%` }}
            />
          </div>
        </Card>
        <Card title="Ensemble">
          <p className="text-sm">
            {ensemble.replicas} replicas × {ensemble.folds} folds
          </p>
          <p className="text-sm">
            sampler {s.sampler}, objective {s.objective}
          </p>
        </Card>
        <Card title="Best L1 (argmin)">
          <p className="text-2xl font-semibold" data-testid="best-value">
            {fmt(best?.result?.L1)}
          </p>
          <p className="text-xs text-slate-500">
            {best ? `trial #${best.number}` : "no completed trial yet"}
          </p>
        </Card>
        <Card title="Selected (best-χ²/worst-φ²)">
          <p className="text-2xl font-semibold">{selected ? `#${selected.number}` : "–"}</p>
          <p className="text-xs text-slate-500">
            {selected ? `L1 ${fmt(selected.result?.L1)}, φ² ${fmt(selected.result?.phi2)}` : ""}
          </p>
        </Card>
      </div>
      <Card title="Optimisation history">
        <HistoryChart
          points={trials.filter((t) => t.result).map((t) => ({ x: t.number, y: t.result!.value }))}
        />
      </Card>
      <Card title="Trials">
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="trials-table">
            <thead className="text-slate-500">
              <tr>
                <th className="py-2">#</th>
                <th>State</th>
                <th>L1</th>
                <th>L2</th>
                <th>L3</th>
                <th>φ²</th>
                <th>Fold χ²</th>
                <th>Epochs</th>
                <th>Duration</th>
                <th>Runner</th>
                <th>Params</th>
              </tr>
            </thead>
            <tbody>
              {trials.map((t) => (
                <tr
                  key={t.id}
                  className="border-t border-slate-100 align-top dark:border-slate-800"
                  data-testid="trial-row"
                >
                  <td className="py-2">{t.number}</td>
                  <td>
                    <StateBadge state={t.state} />
                  </td>
                  <td data-testid="trial-l1">{fmt(t.result?.L1)}</td>
                  <td>{fmt(t.result?.L2)}</td>
                  <td>{fmt(t.result?.L3)}</td>
                  <td>{fmt(t.result?.phi2)}</td>
                  <td>{t.result ? t.result.foldChi2.map((v) => fmt(v, 2)).join(", ") : "–"}</td>
                  <td>{t.result?.epochs ?? "–"}</td>
                  <td>{t.result ? `${t.result.durationSeconds.toFixed(1)} s` : "–"}</td>
                  <td>{t.runner?.name ?? "–"}</td>
                  <td className="max-w-xs font-mono text-xs">{formatParams(t.params)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}

function formatParams(params: unknown): string {
  if (!params || typeof params !== "object") return "";
  return Object.entries(params as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === "number" ? Number(v.toPrecision(3)) : String(v)}`)
    .join(" ");
}
