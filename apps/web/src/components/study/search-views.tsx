"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { matchesFilters, OBJECTIVE_KEY, type TrialFilter, withFilter } from "@/lib/trial-filters";
import { useTRPC } from "@/trpc/react";
import { describe } from "../charts/parallel";
import { ContourChart, EdfChart, TimelineChart } from "../charts/search";
import type { TrialPoint } from "../charts/study";
import { Button, Card, ErrorState, inputClass, Loading } from "../ui";
import { useTrialFilters } from "./use-trial-filters";

/** The charted trials inside the brush (URL `tf`), and the brush's setters. */
export function useBrushedPoints(all: TrialPoint[]) {
  const { filters, setFilters } = useTrialFilters();
  return {
    filters,
    total: all.length,
    points: filters.length > 0 ? all.filter((p) => matchesFilters(p, filters)) : all,
    brush: (name: string, f: TrialFilter | null) => setFilters(withFilter(filters, name, f)),
    clear: () => setFilters([]),
  };
}

/** What the brush keeps, in words, with a way out (the brush lives in the URL: a shared link keeps it). */
export function BrushSummary({
  filters,
  points,
  total,
  clear,
}: {
  filters: readonly TrialFilter[];
  points: TrialPoint[];
  total: number;
  clear: () => void;
}) {
  if (filters.length === 0) return null;
  return (
    <div className="flex flex-wrap items-center gap-2 rounded border border-amber-300 bg-amber-50 px-3 py-2 text-sm dark:border-amber-700 dark:bg-amber-950">
      <p aria-live="polite" data-testid="brush-summary">
        Brushed: {points.length} of {total} charted trials (
        {filters.map((f) => `${f.name === OBJECTIVE_KEY ? "objective" : f.name} ${describe(f)}`).join("; ")}).
        The table below shows the same selection.
      </p>
      <Button onClick={clear}>Clear brush</Button>
    </div>
  );
}

/**
 * The study's search views beside the default charts: EDF of the objective, a contour of the objective
 * over two parameters and the per-runner timeline. The first two follow the brush.
 */
export function SearchViews({
  org,
  studyId,
  onOpen,
}: {
  org: string;
  studyId: string;
  onOpen?: (n: number) => void;
}) {
  const trpc = useTRPC();
  const plots = useQuery({
    ...trpc.study.plots.queryOptions({ org, studyId }),
    placeholderData: keepPreviousData,
  });
  const timeline = useQuery({
    ...trpc.views.timeline.queryOptions({ org, studyId }),
    placeholderData: keepPreviousData,
  });
  // The page refreshes the charts on each live hint; the timeline follows them.
  const refetchTimeline = timeline.refetch;
  const updated = plots.dataUpdatedAt;
  useEffect(() => {
    if (updated) void refetchTimeline();
  }, [updated, refetchTimeline]);
  const brush = useBrushedPoints((plots.data?.points ?? []) as TrialPoint[]);
  const d = plots.data;
  const numeric = d
    ? d.paramNames
        .filter((n) => ["float", "int"].includes(d.paramSpecs[n]?.type ?? ""))
        .sort((a, b) => (d.importance[b] ?? 0) - (d.importance[a] ?? 0))
    : [];
  const [picked, setPicked] = useState<{ x?: string; y?: string }>({});
  const xParam = picked.x && numeric.includes(picked.x) ? picked.x : numeric[0];
  const yParam = picked.y && numeric.includes(picked.y) ? picked.y : numeric.find((n) => n !== xParam);
  const done = brush.points.filter((p) => p.state === "COMPLETE" && p.value !== null);
  const open = onOpen ? { onOpen } : {};
  return (
    <section aria-labelledby="search-views" className="space-y-4">
      <h2 id="search-views" className="text-lg font-semibold">
        Search views
      </h2>
      {plots.isLoading ? <Loading what="search views" /> : null}
      <ErrorState error={plots.error} what="search views" />
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        {d ? (
          <>
            <Card title="Objective distribution (EDF)">
              <EdfChart series={[{ name: "this study", values: done.map((p) => p.value!) }]} />
              <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
                The fraction of completed trials whose objective is at most x: a steep early rise means many
                configurations are near the best.
              </p>
            </Card>
            <Card
              title="Contour"
              actions={
                numeric.length >= 2 ? (
                  <div className="flex flex-wrap items-center gap-2 text-sm">
                    {(["x", "y"] as const).map((axis) => (
                      <label key={axis} className="flex items-center gap-1">
                        <span>{axis}</span>
                        <select
                          className={`${inputClass} !mt-0 w-auto py-1`}
                          value={(axis === "x" ? xParam : yParam) ?? ""}
                          onChange={(e) => setPicked({ ...picked, [axis]: e.target.value })}
                          data-testid={`contour-${axis}`}
                        >
                          {numeric.map((n) => (
                            <option key={n} value={n}>
                              {n}
                            </option>
                          ))}
                        </select>
                      </label>
                    ))}
                  </div>
                ) : null
              }
            >
              {xParam && yParam && xParam !== yParam ? (
                <ContourChart
                  points={brush.points}
                  xParam={xParam}
                  yParam={yParam}
                  specs={d.paramSpecs}
                  {...open}
                />
              ) : (
                <p className="py-6 text-center text-sm text-slate-600 dark:text-slate-400">
                  The contour needs two different numeric parameters.
                </p>
              )}
            </Card>
          </>
        ) : null}
        <Card title="Trial timeline per runner">
          {timeline.isLoading ? <Loading what="timeline" /> : null}
          <ErrorState error={timeline.error} what="timeline" />
          {timeline.data ? (
            <>
              <TimelineChart trials={timeline.data.trials} now={Date.now()} {...open} />
              {timeline.data.total > timeline.data.trials.length ? (
                <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
                  The {timeline.data.trials.length} most recently started of {timeline.data.total} trials.
                </p>
              ) : null}
            </>
          ) : null}
        </Card>
      </div>
    </section>
  );
}
