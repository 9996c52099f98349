"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { use } from "react";
import { AxisToggle, FitBandsChart } from "@/components/fit/fit-charts";
import { FitDownloads } from "@/components/fit/fit-downloads";
import {
  DatasetChi2Table,
  PostfitCard,
  type PostfitRuleView,
  ReplicaDistributions,
  type StoredSummary,
} from "@/components/fit/fit-summary";
import { Card, ErrorState, fmt, fmtSeconds, Loading, linkClass, StateBadge } from "@/components/ui";
import { pick, useUrlState } from "@/components/url-state";
import { useTRPC } from "@/trpc/react";

const LIVE = ["QUEUED", "RUNNING"];

export default function FitPage({ params }: { params: Promise<{ org: string; id: string }> }) {
  const { org, id } = use(params);
  const trpc = useTRPC();
  const url = useUrlState();
  const axis = pick(url.get("x"), ["log", "linear"] as const, "log");
  // Live by polling: a fit's progress is written at most once a second and is not in the event stream.
  const fit = useQuery({
    ...trpc.fit.get.queryOptions({ org, fitId: id }),
    refetchInterval: (q) => (LIVE.includes(q.state.data?.state ?? "QUEUED") ? 1500 : false),
  });
  const done = fit.data?.state === "COMPLETED";
  const bands = useQuery({ ...trpc.fit.bands.queryOptions({ org, fitId: id }), enabled: done });
  if (fit.error) return <ErrorState error={fit.error} what="fit" />;
  if (!fit.data) return <Loading what="fit" />;
  const f = fit.data;
  const summary = (f.outcome ?? null) as StoredSummary | null;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">
          Fit <span className="font-mono text-lg">{f.id.slice(-8)}</span>
        </h1>
        <span data-testid="fit-state">
          <StateBadge state={f.state} />
        </span>
        <Link className={linkClass} href={`/o/${org}/studies/${f.studyId}#fits`}>
          the study{bands.data ? `: ${bands.data.studyName}` : ""}
        </Link>
      </div>
      {f.error ? (
        <p
          role="alert"
          className="rounded border border-red-300 bg-red-50 p-3 text-sm dark:border-red-800 dark:bg-red-950"
        >
          The fit failed: {f.error}
        </p>
      ) : null}
      <div className="grid grid-cols-1 gap-4 md:grid-cols-3">
        <Card title="Progress">
          <div
            className="h-2 rounded bg-slate-200 dark:bg-slate-700"
            role="progressbar"
            aria-label="Fit progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(100 * f.progress)}
          >
            <div className="h-2 rounded bg-indigo-600" style={{ width: `${100 * f.progress}%` }} />
          </div>
          <p className="mt-2 text-sm" data-testid="fit-progress">
            {Math.round(100 * f.progress)}% · runner time {fmtSeconds(f.runnerSeconds)}
          </p>
          <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
            {f.replicas} replicas of trial #{f.trialNumber}
            {summary ? `; ${summary.epochs} epochs` : ""}
          </p>
        </Card>
        <PostfitCard rule={f.postfitRule as unknown as PostfitRuleView} summary={summary} />
        <Card title="Ensemble">
          <p className="text-sm">
            χ²/N of the mean (all data): <strong data-testid="fit-chi2">{fmt(summary?.centralChi2)}</strong>
          </p>
          <p className="text-sm">
            φ² of the kept replicas: <strong data-testid="fit-phi2">{fmt(summary?.phi2)}</strong>
          </p>
        </Card>
      </div>
      {done ? (
        <Card title="Downloads">
          <FitDownloads org={org} fitId={f.id} />
        </Card>
      ) : null}
      <Card
        title="Outputs on the grid"
        actions={<AxisToggle axis={axis} onChange={(a) => url.set({ x: a === "log" ? null : a })} />}
      >
        {bands.error ? <ErrorState error={bands.error} what="bands" /> : null}
        {bands.data ? (
          <FitBandsChart fits={[{ label: "this fit", bands: bands.data.bands }]} axis={axis} />
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {done ? "Loading bands…" : "The bands appear when the fit completes."}
          </p>
        )}
      </Card>
      {summary ? (
        <>
          <Card title="χ² per dataset">
            <DatasetChi2Table summary={summary} />
          </Card>
          <Card title="Replicas">
            <ReplicaDistributions summary={summary} />
          </Card>
        </>
      ) : null}
    </div>
  );
}
