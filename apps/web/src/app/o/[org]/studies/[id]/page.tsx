"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { use, useEffect, useRef, useState } from "react";
import { FitsCard } from "@/components/fit/fits-card";
import { SearchSummary } from "@/components/search-options";
import { StudyControls } from "@/components/study/controls";
import { ParetoFront } from "@/components/study/pareto-front";
import { StudyPlots } from "@/components/study/plots";
import { SearchViews } from "@/components/study/search-views";
import { StudyTeamPanel } from "@/components/study/team-panel";
import { TrialDetail } from "@/components/study/trial-detail";
import { TrialsTable } from "@/components/study/trials-table";
import {
  Card,
  ErrorState,
  fmt,
  fmtSeconds,
  focusRing,
  formatParams,
  Loading,
  StateBadge,
} from "@/components/ui";
import { useUrlState } from "@/components/url-state";
import { useTRPC } from "@/trpc/react";

/** Coalesces pushes: at most one refetch per `ms`, however fast the runners report. */
function useThrottled(fn: () => void, ms: number) {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  return () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  };
}

/** True from the next macrotask on: queries started then go in their own request batch, so the
 * charts (heavier) never hold back the header and the first page of trials. */
function useLater() {
  const [later, setLater] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setLater(true), 50);
    return () => clearTimeout(t);
  }, []);
  return later;
}

export default function StudyPage({ params }: { params: Promise<{ org: string; id: string }> }) {
  const { org, id } = use(params);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // The open trial is in the URL (?trial=N): its dialog has a link of its own.
  const url = useUrlState();
  const trialParam = url.get("trial");
  const open = trialParam !== null && /^\d+$/.test(trialParam) ? Number(trialParam) : null;
  const setOpen = (n: number | null) => url.set({ trial: n }, n === null ? "replace" : "push");
  const overview = useQuery(trpc.study.overview.queryOptions({ org, studyId: id }));
  // Live: the server pushes a hint on every trial/study change (LISTEN/NOTIFY); no polling.
  const refresh = useThrottled(() => {
    void queryClient.invalidateQueries({ queryKey: trpc.study.overview.queryKey({ org, studyId: id }) });
    void queryClient.invalidateQueries({ queryKey: trpc.study.trials.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.study.plots.queryKey({ org, studyId: id }) });
  }, 750);
  const live = useSubscription(
    trpc.study.onChange.subscriptionOptions(
      { org, studyId: id },
      { onData: (e) => (e.kind === "heartbeat" ? undefined : refresh()) },
    ),
  );

  const later = useLater();
  // The trials table mounts with the header so both queries leave in the first request batch.
  const table = (
    <Card title="Trials">
      <TrialsTable
        org={org}
        studyId={id}
        onOpen={setOpen}
        highlight={{
          selected: overview.data?.selection?.selected.number ?? null,
          argmin: overview.data?.selection?.argmin.number ?? null,
        }}
      />
    </Card>
  );
  if (overview.error) return <ErrorState error={overview.error} what="study" />;
  if (!overview.data)
    return (
      <div className="space-y-4">
        <Loading what="study" />
        {table}
      </div>
    );
  const {
    study: s,
    selection,
    counts,
    done,
    etaSeconds,
    budget,
    avgTrialSeconds,
    objectives,
    pareto,
    firstFailure,
    outcome,
  } = overview.data;
  const { ensemble, training, task } = s;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold" data-testid="study-name">
          {s.name}
        </h1>
        <span data-testid="study-state">
          <StateBadge state={outcome} />
        </span>
        <span
          className="text-xs text-slate-600 dark:text-slate-400"
          data-testid="live-status"
          aria-live="polite"
        >
          {live.status === "pending" ? "● live" : live.status === "connecting" ? "connecting…" : live.status}
        </span>
      </div>
      {firstFailure ? (
        <div
          role="status"
          data-testid="failure-banner"
          className="rounded border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
        >
          <p className="font-medium">
            {outcome === "FAILED"
              ? `Every finished trial failed (${counts["FAIL"]}).`
              : `${counts["FAIL"]} ${counts["FAIL"] === 1 ? "trial" : "trials"} failed.`}{" "}
            First failure, trial{" "}
            <button
              type="button"
              className={`underline ${focusRing}`}
              onClick={() => setOpen(firstFailure.number)}
            >
              #{firstFailure.number}
            </button>
            : <span data-testid="failure-reason">{firstFailure.error ?? "no reason recorded"}</span>
          </p>
        </div>
      ) : null}
      <StudyControls org={org} studyId={id} name={s.name} state={s.state} failed={counts["FAIL"] ?? 0} />
      <StudyTeamPanel org={org} studyId={id} tags={s.tags} note={s.note} archivedAt={s.archivedAt} />
      <div className="grid grid-cols-1 gap-4 md:grid-cols-2 xl:grid-cols-4">
        <Card title="Progress">
          <p className="text-2xl font-semibold" data-testid="progress">
            {done} / {s.maxTrials}
          </p>
          <div
            className="mt-2 h-2 rounded bg-slate-200 dark:bg-slate-700"
            role="progressbar"
            aria-label="Trials finished"
            aria-valuemin={0}
            aria-valuemax={s.maxTrials}
            aria-valuenow={done}
          >
            <div
              className="h-2 rounded bg-indigo-600"
              style={{ width: `${(100 * done) / Math.max(1, s.maxTrials)}%` }}
            />
          </div>
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400" data-testid="eta">
            {counts["RUNNING"]} running, {counts["WAITING"]} waiting, {counts["PRUNED"]} pruned,{" "}
            {counts["FAIL"]} failed{counts["CANCELLED"] ? `, ${counts["CANCELLED"]} cancelled` : ""}
            <br />
            ETA {etaSeconds === null ? "–" : fmtSeconds(etaSeconds)} (mean trial {fmtSeconds(avgTrialSeconds)}
            )
          </p>
        </Card>
        <Card title="Budget">
          <p className="text-sm">Trials: {budget.trials}</p>
          <p className="text-sm">
            Runner time: {fmtSeconds(budget.gpuSeconds)}
            {budget.maxGpuSeconds ? ` of ${fmtSeconds(budget.maxGpuSeconds)}` : ""}
          </p>
          <p className="text-sm">
            Wall time: {fmtSeconds(budget.wallSeconds)}
            {budget.maxWallSeconds ? ` of ${fmtSeconds(budget.maxWallSeconds)}` : ""}
          </p>
          <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
            {ensemble.replicas} replicas × {ensemble.folds} folds, ≤ {training.maxEpochs} epochs;{" "}
            <SearchSummary study={s} /> ({s.mode}), objective {objectives.join(" vs ")}; task {task.kind}
            {task.kind === "closure" ? ` level ${task.level}` : ""}; owner {s.owner}
          </p>
          {Object.keys(s.fixed).length > 0 ? (
            <p className="mt-1 text-xs text-slate-600 dark:text-slate-400" data-testid="fixed-settings">
              Fixed for every trial:{" "}
              {Object.entries(s.fixed)
                .map(([name, value]) => `${name} = ${String(value)}`)
                .join(", ")}
            </p>
          ) : null}
        </Card>
        <Card title="Best L1 (argmin)">
          <p className="text-2xl font-semibold" data-testid="best-value">
            {fmt(selection?.argmin.L1)}
          </p>
          <p className="text-xs text-slate-600 dark:text-slate-400">
            {selection
              ? `trial #${selection.argmin.number}, φ² ${fmt(selection.argmin.phi2)}`
              : "no completed trial yet"}
          </p>
        </Card>
        <Card title="Selected (best-χ²/worst-φ²)">
          <p className="text-2xl font-semibold" data-testid="selected-trial">
            {selection ? `#${selection.selected.number}` : "–"}
          </p>
          <p className="text-xs text-slate-600 dark:text-slate-400">
            {selection
              ? `L1 ${fmt(selection.selected.L1)}, φ² ${fmt(selection.selected.phi2)}; window L1 ≤ ${fmt(selection.window[1])}; top 10: ${selection.top10.join(", ")}`
              : "needs a completed trial"}
          </p>
          {selection && later ? (
            <SelectedParams
              org={org}
              studyId={id}
              number={selection.selected.number}
              updatedAt={String(s.updatedAt)}
            />
          ) : null}
        </Card>
      </div>
      {pareto ? <ParetoFront points={pareto} /> : null}
      <StudyPlots org={org} studyId={id} onOpen={setOpen} />
      <SearchViews org={org} studyId={id} onOpen={setOpen} />
      <Card title="Trials">
        <TrialsTable
          org={org}
          studyId={id}
          onOpen={setOpen}
          highlight={{
            selected: selection?.selected.number ?? null,
            argmin: selection?.argmin.number ?? null,
          }}
        />
      </Card>
      <div id="fits">
        <FitsCard
          key={url.get("fitFrom") ?? ""}
          org={org}
          studyId={id}
          selected={selection?.selected.number ?? null}
          fromTrial={/^\d+$/.test(url.get("fitFrom") ?? "") ? Number(url.get("fitFrom")) : null}
        />
      </div>
      {open !== null ? (
        <TrialDetail org={org} studyId={id} number={open} onClose={() => setOpen(null)} />
      ) : null}
    </div>
  );
}

function SelectedParams({
  org,
  studyId,
  number,
}: {
  org: string;
  studyId: string;
  number: number;
  updatedAt: string;
}) {
  const trpc = useTRPC();
  const trial = useQuery(trpc.study.trial.queryOptions({ org, studyId, number }));
  return trial.data ? (
    <p className="mt-1 font-mono text-xs break-words">{formatParams(trial.data.params)}</p>
  ) : null;
}
