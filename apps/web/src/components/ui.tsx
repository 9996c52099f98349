import type { ReactNode } from "react";

const STATE_COLOURS: Record<string, string> = {
  QUEUED: "bg-slate-200 text-slate-800",
  WAITING: "bg-slate-200 text-slate-800",
  RUNNING: "bg-blue-100 text-blue-800",
  COMPLETED: "bg-green-100 text-green-800",
  COMPLETE: "bg-green-100 text-green-800",
  PRUNED: "bg-amber-100 text-amber-800",
  PAUSED: "bg-amber-100 text-amber-800",
  FAIL: "bg-red-100 text-red-800",
  FAILED: "bg-red-100 text-red-800",
  CANCELLED: "bg-zinc-200 text-zinc-700",
};

export function StateBadge({ state }: { state: string }) {
  return (
    <span
      className={`rounded px-2 py-0.5 text-xs font-medium ${STATE_COLOURS[state] ?? "bg-slate-100"}`}
      data-state={state}
    >
      {state}
    </span>
  );
}

export function Card({ title, children }: { title?: string; children: ReactNode }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      {title ? (
        <h2 className="mb-3 text-sm font-semibold uppercase tracking-wide text-slate-500">{title}</h2>
      ) : null}
      {children}
    </section>
  );
}

export function fmt(value: number | null | undefined, digits = 4): string {
  if (value == null || !Number.isFinite(value)) return "–";
  return Math.abs(value) >= 1000 || Math.abs(value) < 1e-3 ? value.toExponential(2) : value.toFixed(digits);
}
