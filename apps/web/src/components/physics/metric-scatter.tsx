"use client";

import { useId, useState } from "react";
import { box, colour, extent, Frame, NoData, scale, useChartWidth, xRange, yRange } from "../charts/frame";
import { pointHandlers, type TrialPoint } from "../charts/study";
import { inputClass } from "../ui";

/** A chart point with the closure estimators (study.plots sends them; null without a truth). */
export type MetricPoint = TrialPoint & { closureBias?: number | null; closureVariance?: number | null };

/** The trial-level quantities a scatter or parallel-coordinates axis can show. */
export const METRICS = {
  L1: { label: "L1 (mean held-out χ²)", of: (p: MetricPoint) => p.L1 },
  phi2: { label: "φ²", of: (p: MetricPoint) => p.phi2 },
  bias: { label: "closure bias", of: (p: MetricPoint) => p.closureBias ?? null },
  variance: { label: "closure variance", of: (p: MetricPoint) => p.closureVariance ?? null },
  ratio: {
    label: "bias / variance",
    of: (p: MetricPoint) =>
      p.closureBias != null && p.closureVariance ? p.closureBias / p.closureVariance : null,
  },
  value: { label: "objective", of: (p: MetricPoint) => p.value },
} as const;
export type Metric = keyof typeof METRICS;
const METRIC_NAMES = Object.keys(METRICS) as Metric[];

/** The closure estimators as extra parallel-coordinates axes: points whose params carry them. */
export function withClosureAxes(points: MetricPoint[]): { points: TrialPoint[]; axes: string[] } {
  const axes = ["bias", "variance", "bias / variance"];
  return {
    axes,
    points: points.map((p) => {
      const extra: Record<string, number> = {};
      for (const [axis, metric] of [
        ["bias", "bias"],
        ["variance", "variance"],
        ["bias / variance", "ratio"],
      ] as const) {
        const v = METRICS[metric].of(p);
        if (v != null && Number.isFinite(v)) extra[axis] = v;
      }
      return { ...p, params: { ...p.params, ...extra } };
    }),
  };
}

/** Completed trials on two chosen quantities (closure estimators included); a click opens the trial. */
export function MetricScatter({ points, onOpen }: { points: MetricPoint[]; onOpen?: (n: number) => void }) {
  const [chartWidth, measure] = useChartWidth(560);
  const hasClosure = points.some((p) => p.closureBias != null);
  const [xm, setX] = useState<Metric>("L1");
  const [ym, setY] = useState<Metric>(hasClosure ? "ratio" : "phi2");
  const id = useId();
  const ok = points.filter((p) => {
    const a = METRICS[xm].of(p);
    const b = METRICS[ym].of(p);
    return p.state === "COMPLETE" && a != null && b != null && Number.isFinite(a) && Number.isFinite(b);
  });
  const select = (label: string, value: Metric, set: (m: Metric) => void, suffix: string) => (
    <label className="flex items-center gap-1 text-sm" htmlFor={`${id}-${suffix}`}>
      <span>{label}</span>
      <select
        id={`${id}-${suffix}`}
        aria-label={`${label} axis`}
        className={`${inputClass} !mt-0 w-auto py-1`}
        value={value}
        onChange={(e) => set(e.target.value as Metric)}
      >
        {METRIC_NAMES.map((m) => (
          <option key={m} value={m}>
            {METRICS[m].label}
          </option>
        ))}
      </select>
    </label>
  );
  const b = box(chartWidth);
  const x = scale(extent(ok.map((p) => METRICS[xm].of(p)!)), xRange(b));
  const y = scale(extent(ok.map((p) => METRICS[ym].of(p)!)), yRange(b));
  return (
    <div data-testid="metric-scatter">
      <div className="mb-2 flex flex-wrap gap-3">
        {select("x", xm, setX, "x")}
        {select("y", ym, setY, "y")}
      </div>
      {ok.length === 0 ? (
        <NoData>
          No completed trial has both quantities
          {hasClosure ? "" : " (closure estimators exist only for the built-in closure task)"}.
        </NoData>
      ) : (
        <Frame
          measure={measure}
          b={b}
          x={x}
          y={y}
          xLabel={METRICS[xm].label}
          yLabel={METRICS[ym].label}
          label={`${METRICS[ym].label} against ${METRICS[xm].label} per trial`}
        >
          {ok.map((p) => (
            <circle
              key={p.number}
              cx={x(METRICS[xm].of(p)!)}
              cy={y(METRICS[ym].of(p)!)}
              r={3.5}
              fill={colour(0)}
              fillOpacity={0.7}
              {...pointHandlers(p.number, onOpen)}
            >
              <title>{`trial #${p.number}`}</title>
            </circle>
          ))}
        </Frame>
      )}
    </div>
  );
}
