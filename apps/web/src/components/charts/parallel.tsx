"use client";

import { type PointerEvent, useRef, useState } from "react";
import { isSetFilter, matchesFilters, OBJECTIVE_KEY, type TrialFilter } from "@/lib/trial-filters";
import { type BrushAxis, brushFilter, filterSpan } from "./brush";
import { ExportableChart } from "./exportable";
import { type AxisSpec, colour, extent, NoData, paramScale, scale, tickLabel, useChartWidth } from "./frame";
import type { TrialPoint } from "./study";

const BRUSH = "#d97706";

/**
 * One vertical axis per parameter plus the objective; each trial a line, the best ones darkest. Drag
 * along an axis to brush a range (several axes combine: AND); a click on an axis clears its brush.
 * Trials outside the brush stay as faint context. The table's range inputs are the keyboard path.
 */
export function ParallelCoordinates({
  points,
  params,
  specs = {},
  filters = [],
  onBrush,
}: {
  points: TrialPoint[];
  params: string[];
  specs?: Record<string, AxisSpec>;
  filters?: readonly TrialFilter[];
  onBrush?: (name: string, filter: TrialFilter | null) => void;
}) {
  const svgRef = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ axis: number; from: number; to: number } | null>(null);
  const axisCount = params.length + 1;
  const design = Math.max(900, axisCount * 160);
  const [fit, measure] = useChartWidth(design);
  // Narrower than designed (a phone): laid out for the box, at least 100 per axis, drawn 1:1 so the
  // labels keep their size; what does not fit scrolls inside the chart's box.
  const narrow = fit < design;
  const ok = points.filter((p) => p.state === "COMPLETE" && p.value !== null);
  if (ok.length === 0 || params.length === 0) return <NoData>Needs completed trials.</NoData>;
  const axes = [...params, OBJECTIVE_KEY];
  const width = narrow ? Math.max(fit, axes.length * 100) : design;
  const height = 300;
  const top = 24;
  const bottom = 40;
  const range: [number, number] = [height - bottom, top];
  const x = (i: number) => 40 + (i * (width - 80)) / Math.max(1, axes.length - 1);
  const scales = axes.map((key) => {
    const values = ok.map((p) => (key === OBJECTIVE_KEY ? p.value! : p.params[key]));
    const categorical = values.some((v) => v !== undefined && typeof v !== "number");
    // Slots in sorted text order, each holding the value as stored (so a brush filters by its type).
    const bySlot = new Map<string, string | number | boolean>();
    for (const v of values) if (v !== undefined && !bySlot.has(String(v))) bySlot.set(String(v), v);
    const cats = categorical ? [...bySlot.keys()].sort() : [];
    const nums = values.filter((v): v is number => typeof v === "number");
    const spec = key === OBJECTIVE_KEY ? undefined : specs[key];
    const s = categorical
      ? scale([-0.5, cats.length - 0.5], range)
      : spec
        ? paramScale(spec, nums, range)
        : scale(extent(nums, 0.02), range);
    const at = (v: unknown) =>
      v === undefined ? null : categorical ? s(cats.indexOf(String(v))) : s(v as number);
    // Declared parameters show their ticks (whole numbers for int, decades for log); others min/max.
    const labels = categorical
      ? cats.map((c, i) => ({ y: s(i), text: c }))
      : (spec ? s.ticks : [s.domain[0], s.domain[1]]).map((v) => ({ y: s(v), text: tickLabel(v) }));
    const brush: BrushAxis = {
      name: key,
      domain: s.domain,
      range,
      log: s.log,
      ...(categorical ? { categories: cats.map((c) => bySlot.get(c)!) } : {}),
    };
    const title = key === OBJECTIVE_KEY ? "objective" : key;
    return { name: s.log ? `${title} (log)` : title, key, at, labels, brush };
  });
  const values = ok.map((p) => p.value!);
  const [vmin, vmax] = [Math.min(...values), Math.max(...values)];
  const brushed = filters.length > 0;
  const svgY = (e: PointerEvent) => {
    const svg = svgRef.current;
    const m = svg?.getScreenCTM();
    if (!svg || !m) return 0;
    const pt = svg.createSVGPoint();
    pt.x = e.clientX;
    pt.y = e.clientY;
    return Math.min(range[0], Math.max(range[1], pt.matrixTransform(m.inverse()).y));
  };
  const label = "Parallel coordinates of parameters and objective";
  return (
    <ExportableChart label={label} measure={measure}>
      <div className="relative overflow-x-auto">
        <svg
          ref={svgRef}
          viewBox={`0 0 ${width} ${height}`}
          style={{
            minWidth: narrow ? width : Math.min(width, 640),
            touchAction: onBrush ? "none" : undefined,
          }}
          className="w-full"
          role="img"
          aria-label={label}
          data-testid="parallel-chart"
        >
          <title>{label}</title>
          {ok.map((p) => {
            const inBrush = !brushed || matchesFilters(p, filters);
            const t = vmax > vmin ? (p.value! - vmin) / (vmax - vmin) : 0;
            let d = "";
            scales.forEach((s, i) => {
              const yv = s.at(s.key === OBJECTIVE_KEY ? p.value : p.params[s.key]);
              if (yv !== null) d += `${d ? "L" : "M"}${x(i)},${yv} `;
            });
            return (
              <path
                key={p.number}
                d={d}
                fill="none"
                stroke={inBrush ? colour(0) : "currentColor"}
                strokeOpacity={inBrush ? 0.85 - 0.7 * t : 0.08}
                strokeWidth={1}
                data-brushed={brushed ? String(inBrush) : undefined}
              >
                <title>{`trial ${p.number}: ${p.value}`}</title>
              </path>
            );
          })}
          {scales.map((s, i) => {
            const filter = filters.find((f) => f.name === s.key);
            const span =
              drag?.axis === i ? [drag.from, drag.to] : filter ? filterSpan(s.brush, filter) : null;
            return (
              <g key={s.key} fontSize={10} fill="currentColor" data-axis={s.key}>
                <line
                  x1={x(i)}
                  x2={x(i)}
                  y1={top}
                  y2={height - bottom}
                  stroke="currentColor"
                  strokeOpacity={0.5}
                />
                <text x={x(i)} y={height - bottom + 16} textAnchor="middle" fontWeight={600}>
                  {s.name}
                </text>
                {s.labels.map((l) => (
                  <text key={l.text} x={x(i) + 4} y={l.y + 3}>
                    {l.text}
                  </text>
                ))}
                {span ? (
                  <rect
                    x={x(i) - 7}
                    width={14}
                    y={Math.min(span[0]!, span[1]!)}
                    height={Math.max(2, Math.abs(span[1]! - span[0]!))}
                    fill={BRUSH}
                    fillOpacity={0.3}
                    stroke={BRUSH}
                    data-testid="parallel-brush"
                  >
                    <title>{filter ? `brush on ${s.name}: ${describe(filter)}` : `brushing ${s.name}`}</title>
                  </rect>
                ) : null}
                {onBrush ? (
                  <rect
                    x={x(i) - 12}
                    width={24}
                    y={top}
                    height={height - bottom - top}
                    fill="transparent"
                    style={{ cursor: "ns-resize" }}
                    data-testid={`brush-${s.key}`}
                    onPointerDown={(e) => {
                      // No text selection or page scroll while dragging a brush.
                      e.preventDefault();
                      e.currentTarget.setPointerCapture(e.pointerId);
                      const y = svgY(e);
                      setDrag({ axis: i, from: y, to: y });
                    }}
                    onPointerMove={(e) => {
                      if (drag?.axis === i) setDrag({ ...drag, to: svgY(e) });
                    }}
                    onPointerUp={(e) => {
                      if (drag?.axis !== i) return;
                      const next = brushFilter(s.brush, drag.from, svgY(e));
                      setDrag(null);
                      onBrush(s.key, next);
                    }}
                    onPointerCancel={() => setDrag(null)}
                  />
                ) : null}
              </g>
            );
          })}
        </svg>
        <p className="text-xs text-slate-600 dark:text-slate-400">
          Darker lines: lower objective.
          {onBrush
            ? " Drag along an axis to keep only the trials in that range (axes combine); click an axis to clear its brush."
            : ""}
        </p>
      </div>
    </ExportableChart>
  );
}

/** A filter in words (the brush's tooltip and the filter summary). */
export function describe(f: TrialFilter): string {
  if (isSetFilter(f)) return f.values.map(String).join(" or ");
  if (f.min !== undefined && f.max !== undefined) return `${tickLabel(f.min)} to ${tickLabel(f.max)}`;
  return f.min !== undefined ? `≥ ${tickLabel(f.min)}` : `≤ ${tickLabel(f.max!)}`;
}
