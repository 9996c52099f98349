"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";
import {
  FoldChi2Chart,
  HistoryChart,
  ImportanceBars,
  LearningCurves,
  ParallelCoordinates,
  PredictionBands,
  type Predictions,
  SelectionScatter,
  SliceChart,
  type TrialPoint,
} from "../charts";
import { type MetricPoint, MetricScatter, withClosureAxes } from "../physics/metric-scatter";
import { PhysicsPanel } from "../physics/physics-panel";
import { Card, ErrorState, inputClass, Loading } from "../ui";
import { BrushSummary, useBrushedPoints } from "./search-views";

export function StudyPlots({
  org,
  studyId,
  onOpen,
}: {
  org: string;
  studyId: string;
  /** Opens a trial's dialog: a click on a chart's point. */
  onOpen?: (n: number) => void;
}) {
  const trpc = useTRPC();
  const plots = useQuery({
    ...trpc.study.plots.queryOptions({ org, studyId }),
    placeholderData: keepPreviousData,
  });
  const [param, setParam] = useState<string | null>(null);
  const [closureAxes, setClosureAxes] = useState(false);
  const brush = useBrushedPoints((plots.data?.points ?? []) as TrialPoint[]);
  if (plots.isLoading) return <Loading what="charts" />;
  if (plots.error) return <ErrorState error={plots.error} what="charts" />;
  const d = plots.data;
  if (!d) return null;
  // The charts show the brushed trials only; the parallel coordinates keep the rest as faint context.
  const points = brush.points;
  const sliceParam = param ?? d.paramNames[0] ?? "";
  const thinned = d.points.length < d.total;
  const clickable = onOpen ? " Click a point to open its trial." : "";
  return (
    <div className="space-y-4">
      {thinned ? (
        <p className="text-xs text-slate-600 dark:text-slate-400">
          Charts show {d.points.length} of {d.total} finished trials (the 300 best and an even sample); the
          table has them all.
        </p>
      ) : null}
      <BrushSummary {...brush} />
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <p className="text-xs text-slate-600 lg:col-span-2 dark:text-slate-400">
          Objective: the study&apos;s objective (L1 is the mean held-out χ² per point; lower is better).
          {clickable}
        </p>
        <Card title="Optimisation history">
          <HistoryChart points={points} history={d.history} {...(onOpen ? { onOpen } : {})} />
        </Card>
        <Card title="L1 vs φ²: selection window">
          <SelectionScatter
            points={points}
            window={d.selection?.window ?? null}
            selected={d.selection?.selected.number ?? null}
            argmin={d.selection?.argmin.number ?? null}
            {...(onOpen ? { onOpen } : {})}
          />
        </Card>
        <Card title="Parameter importance">
          <ImportanceBars importance={d.importance} />
        </Card>
        <Card
          title="Slice"
          actions={
            <label className="flex items-center gap-2 text-sm">
              <span>Parameter</span>
              <select
                className={`${inputClass} !mt-0 w-auto py-1`}
                value={sliceParam}
                onChange={(e) => setParam(e.target.value)}
              >
                {d.paramNames.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
          }
        >
          {sliceParam ? (
            <SliceChart
              points={points}
              param={sliceParam}
              spec={d.paramSpecs[sliceParam]}
              {...(onOpen ? { onOpen } : {})}
            />
          ) : null}
        </Card>
        <Card title="Learning curves">
          <LearningCurves curves={d.curves} />
        </Card>
        <Card title="Per-fold χ² per trial">
          <FoldChi2Chart points={points} />
        </Card>
      </div>
      <Card title="Trial quantities: choose the axes" testId="metric-scatter-card">
        <MetricScatter points={d.points as MetricPoint[]} {...(onOpen ? { onOpen } : {})} />
      </Card>
      <Card
        title="Parallel coordinates"
        actions={
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={closureAxes} onChange={(e) => setClosureAxes(e.target.checked)} />
            closure axes
          </label>
        }
      >
        {closureAxes ? (
          <ParallelCoordinates
            points={withClosureAxes(d.points as MetricPoint[]).points}
            params={[...d.paramNames, ...withClosureAxes([]).axes]}
            specs={d.paramSpecs}
            filters={brush.filters}
            onBrush={brush.brush}
          />
        ) : (
          <ParallelCoordinates
            points={d.points as TrialPoint[]}
            params={d.paramNames}
            specs={d.paramSpecs}
            filters={brush.filters}
            onBrush={brush.brush}
          />
        )}
      </Card>
      <Card
        title={`Ensemble predictions of the selected trial${d.selection ? ` (#${d.selection.selected.number})` : ""}`}
      >
        <PredictionBands predictions={d.predictions as Predictions | null} />
      </Card>
      <Card
        title={`Physics of the selected trial${d.selection ? ` (#${d.selection.selected.number})` : ""}`}
        testId="study-physics"
      >
        <PhysicsPanel
          result={d.physics}
          trialLabel={d.selection ? `trial #${d.selection.selected.number}` : "the selected trial"}
        />
      </Card>
    </div>
  );
}
