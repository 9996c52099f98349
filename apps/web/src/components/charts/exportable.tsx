"use client";

import { type ReactNode, useCallback, useRef, useState } from "react";
import { chartFileName, download, rasteriseChart, serialiseChart } from "./export";

const buttonClass =
  "rounded border border-slate-300 px-1.5 py-0.5 text-xs text-slate-700 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-700";

/**
 * A chart with its export control (SVG and 2x PNG) under it. Frame wraps every framed chart in it; the
 * charts that draw their own <svg> (parallel coordinates, importance, Pareto front) wrap themselves.
 */
export function ExportableChart({
  label,
  children,
  measure,
}: {
  label: string;
  children: ReactNode;
  /** useChartWidth's ref: the chart is laid out for this box's width. */
  measure?: (el: HTMLElement | null) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const setRef = useCallback(
    (el: HTMLDivElement | null) => {
      ref.current = el;
      measure?.(el);
    },
    [measure],
  );
  const [error, setError] = useState<string | null>(null);
  const chart = () => ref.current?.querySelector<SVGSVGElement>("svg[role='img']") ?? null;
  async function save(kind: "svg" | "png") {
    const svg = chart();
    if (!svg) return;
    setError(null);
    try {
      const blob =
        kind === "svg"
          ? new Blob([serialiseChart(svg).text], { type: "image/svg+xml" })
          : await rasteriseChart(svg, 2);
      download(blob, chartFileName(label, kind));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <div ref={setRef} className="min-w-0" data-testid="exportable-chart">
      {children}
      <div className="mt-1 flex items-center justify-end gap-1">
        {error ? (
          <span role="alert" className="mr-2 text-xs text-red-700 dark:text-red-300">
            {error}
          </span>
        ) : null}
        <button
          type="button"
          className={buttonClass}
          onClick={() => void save("svg")}
          aria-label={`Download ${label} as SVG`}
        >
          SVG
        </button>
        <button
          type="button"
          className={buttonClass}
          onClick={() => void save("png")}
          aria-label={`Download ${label} as PNG (2x)`}
        >
          PNG
        </button>
      </div>
    </div>
  );
}
