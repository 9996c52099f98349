import { type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { ExportableChart } from "./exportable";

// Hand-written SVG chart plumbing: scales, ticks and a framed plot area with labelled axes.

export const PALETTE = ["#4f46e5", "#0891b2", "#d97706", "#db2777", "#059669", "#7c3aed"] as const;
export const colour = (i: number) => PALETTE[i % PALETTE.length]!;

export interface Scale {
  (v: number): number;
  ticks: number[];
  domain: [number, number];
  log: boolean;
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

export function extent(values: number[], pad = 0.05): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    const d = Math.abs(lo) * 0.1 || 1;
    lo -= d;
    hi += d;
  }
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/** A parameter's axis as the search space declares it (from study.plots' paramSpecs). */
export interface AxisSpec {
  type: string;
  low?: number;
  high?: number;
  log: boolean;
}

/**
 * The scale of a numeric parameter's axis: its declared range (not the sampled one, padded), log10
 * when the parameter is log-uniform, whole-number ticks for an int parameter.
 */
export function paramScale(spec: AxisSpec | undefined, values: number[], range: [number, number]): Scale {
  const log = Boolean(spec?.log) && values.every((v) => v > 0) && (spec?.low ?? 1) > 0;
  const lo = Math.min(spec?.low ?? Number.POSITIVE_INFINITY, ...values);
  const hi = Math.max(spec?.high ?? Number.NEGATIVE_INFINITY, ...values);
  if (spec?.type === "int" && !log) {
    const s = scale([lo - 0.5, hi + 0.5], range);
    const step = Math.max(1, Math.ceil((hi - lo + 1) / 6));
    s.ticks = [];
    for (let v = Math.ceil(lo); v <= hi; v += step) s.ticks.push(v);
    return s;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return scale([0, 1], range);
  return log ? scale([lo, hi], range, true) : scale(lo === hi ? extent([lo]) : [lo, hi], range);
}

/** Maps [d0, d1] onto [r0, r1]; with `log`, in log10 (domain must be positive). */
export function scale(domain: [number, number], range: [number, number], log = false, tickCount = 5): Scale {
  const t = (v: number) => (log ? Math.log10(Math.max(v, 1e-300)) : v);
  const [d0, d1] = [t(domain[0]), t(domain[1])];
  const span = d1 - d0 || 1;
  const f = ((v: number) => range[0] + ((t(v) - d0) / span) * (range[1] - range[0])) as Scale;
  f.domain = domain;
  f.log = log;
  if (log) {
    const ticks: number[] = [];
    for (let e = Math.ceil(d0 - 1e-9); e <= Math.floor(d1 + 1e-9); e++) ticks.push(10 ** e);
    // Less than two decades: 1-2-5 steps inside them, so the axis still reads as logarithmic.
    if (ticks.length < 3)
      for (let e = Math.floor(d0) - 1; e <= Math.ceil(d1); e++)
        for (const m of [2, 5]) {
          const v = m * 10 ** e;
          if (v >= domain[0] * (1 - 1e-9) && v <= domain[1] * (1 + 1e-9)) ticks.push(v);
        }
    ticks.sort((a, b) => a - b);
    f.ticks = ticks.length >= 2 ? ticks : [domain[0], domain[1]];
  } else {
    const step = niceStep(span, tickCount);
    const ticks: number[] = [];
    for (let v = Math.ceil(d0 / step) * step; v <= d1 + step * 1e-9; v += step)
      ticks.push(Number(v.toPrecision(12)));
    f.ticks = ticks;
  }
  return f;
}

export const tickLabel = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0)
    ? v.toExponential(0)
    : String(Number(v.toPrecision(3)));

export interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const box = (width = 560, height = 260, left = 52, bottom = 36, top = 12, right = 16): Box => ({
  width,
  height,
  left,
  right,
  top,
  bottom,
});

/** The narrowest a chart is laid out for (a 320 px phone less the page's padding). */
const MIN_CHART_WIDTH = 260;

/**
 * The width to lay a chart out at: its design width, or the width its box really has when that is
 * narrower (a phone), so text drawn at 10 user units shows at 10 px instead of shrinking with the
 * viewBox. Pass the returned ref to Frame's (or ExportableChart's) `measure`. Before the first
 * measurement (server render) it is the design width.
 */
export function useChartWidth(design: number): [number, (el: HTMLElement | null) => void] {
  const [available, setAvailable] = useState<number | null>(null);
  const observer = useRef<ResizeObserver | null>(null);
  const measure = useCallback((el: HTMLElement | null) => {
    observer.current?.disconnect();
    observer.current = null;
    if (!el) return;
    // Whole 10 px steps: a scrollbar appearing or a pixel of rounding does not re-lay the chart out.
    const update = () => setAvailable(Math.floor(el.clientWidth / 10) * 10);
    update();
    if (typeof ResizeObserver !== "undefined") {
      observer.current = new ResizeObserver(update);
      observer.current.observe(el);
    }
  }, []);
  useEffect(() => () => observer.current?.disconnect(), []);
  const width =
    available !== null && available > 0 && available < design ? Math.max(MIN_CHART_WIDTH, available) : design;
  return [width, measure];
}

export const xRange = (b: Box): [number, number] => [b.left, b.width - b.right];
export const yRange = (b: Box): [number, number] => [b.height - b.bottom, b.top];

/** The SVG with axes, grid lines, tick labels and axis titles; children draw the data. */
export function Frame({
  b,
  x,
  y,
  xLabel,
  yLabel,
  label,
  children,
  xTickFormat = tickLabel,
  testId,
  measure,
}: {
  b: Box;
  x: Scale;
  y: Scale;
  xLabel: string;
  yLabel: string;
  label: string;
  children: ReactNode;
  xTickFormat?: (v: number) => string;
  testId?: string;
  /** From useChartWidth: the box whose width the chart is laid out for. */
  measure?: (el: HTMLElement | null) => void;
}) {
  const [x0, x1] = xRange(b);
  const [y0, y1] = yRange(b);
  return (
    <ExportableChart label={label} measure={measure}>
      <svg
        viewBox={`0 0 ${b.width} ${b.height}`}
        className="w-full"
        role="img"
        aria-label={label}
        data-testid={testId}
      >
        <title>{label}</title>
        <g fontSize={10} fill="currentColor">
          {y.ticks.map((t) => (
            <g key={`y${t}`}>
              <line x1={x0} x2={x1} y1={y(t)} y2={y(t)} stroke="currentColor" strokeOpacity={0.1} />
              <text x={x0 - 4} y={y(t) + 3} textAnchor="end">
                {tickLabel(t)}
              </text>
            </g>
          ))}
          {x.ticks.map((t) => (
            <text key={`x${t}`} x={x(t)} y={y0 + 14} textAnchor="middle">
              {xTickFormat(t)}
            </text>
          ))}
          <line x1={x0} x2={x1} y1={y0} y2={y0} stroke="currentColor" strokeOpacity={0.4} />
          <line x1={x0} x2={x0} y1={y0} y2={y1} stroke="currentColor" strokeOpacity={0.4} />
          <text x={(x0 + x1) / 2} y={b.height - 4} textAnchor="middle">
            {xLabel}
          </text>
          <text transform={`translate(12 ${(y0 + y1) / 2}) rotate(-90)`} textAnchor="middle">
            {yLabel}
          </text>
        </g>
        {children}
      </svg>
    </ExportableChart>
  );
}

export function Legend({
  items,
}: {
  items: { name: string; colour: string; dashed?: boolean; area?: boolean }[];
}) {
  return (
    <ul className="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-xs" aria-label="Legend">
      {items.map((it) => (
        <li key={it.name} className="flex items-center gap-1">
          <svg width="18" height="8" aria-hidden="true">
            {it.area ? <rect x="0" y="0" width="18" height="8" fill={it.colour} fillOpacity={0.2} /> : null}
            <line
              x1="0"
              x2="18"
              y1="4"
              y2="4"
              stroke={it.colour}
              strokeWidth={it.area ? 0 : 3}
              strokeDasharray={it.dashed ? "4 2" : undefined}
            />
          </svg>
          {it.name}
        </li>
      ))}
    </ul>
  );
}

export function NoData({ children }: { children: ReactNode }) {
  return <p className="py-6 text-center text-sm text-slate-600 dark:text-slate-400">{children}</p>;
}
