import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { exists, INFRA, tsFiles } from "./helpers.ts";

// biome-ignore lint/suspicious/noExplicitAny: dashboard JSON
type Any = any;

const dashboard: Any = JSON.parse(
  readFileSync(path.join(INFRA, "grafana", "hyperensemble-dashboard.json"), "utf8"),
);
const panels: Any[] = dashboard.panels;
const queryPanels = panels.filter((p) => p.type !== "row");
const exprs: string[] = queryPanels.flatMap((p) => p.targets.map((t: Any) => t.expr as string));

/** Metric names in a PromQL expression (identifiers followed by a selector, range or grouping). */
function metricNames(expr: string): string[] {
  const stripped = expr.replace(/"[^"]*"/g, '""').replace(/\{[^}]*\}/g, "{}");
  const words = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*[{[)])/g) ?? [];
  const keywords = new Set([
    "by",
    "without",
    "on",
    "ignoring",
    "le",
    "sum",
    "max",
    "min",
    "avg",
    "count",
    "rate",
    "increase",
  ]);
  return words.filter((w) => !keywords.has(w));
}

it("is an importable dashboard: uid, title, schemaVersion, a Prometheus datasource variable", () => {
  expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
  expect(dashboard.title).toBeTruthy();
  expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(30);
  const ds = dashboard.templating.list.find((v: Any) => v.type === "datasource");
  expect(ds.query).toBe("prometheus");
  for (const p of queryPanels) {
    expect(p.datasource.uid).toBe(`\${${ds.name}}`);
    expect(p.targets.length).toBeGreaterThan(0);
  }
});

it("panel ids are unique and panels do not overlap on the grid", () => {
  const ids = panels.map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  const cells = new Set<string>();
  for (const p of panels) {
    const { x, y, w, h } = p.gridPos;
    expect(x + w).toBeLessThanOrEqual(24);
    for (let i = x; i < x + w; i++)
      for (let j = y; j < y + h; j++) {
        const key = `${i},${j}`;
        expect(cells.has(key), `${p.title} overlaps at ${key}`).toBe(false);
        cells.add(key);
      }
  }
});

it("covers queue depth, trial throughput, runner utilisation and API latency", () => {
  const titles = queryPanels.map((p) => p.title.toLowerCase()).join(" | ");
  for (const t of ["queue depth", "trial throughput", "runner utilisation", "api latency"])
    expect(titles).toContain(t);
  const all = exprs.join("\n");
  expect(all).toMatch(/keda_scaler_metrics_value/);
  expect(all).toMatch(/hens_runner_trials_total/);
  expect(all).toMatch(/hens_runner_busy_trials/);
  expect(all).toMatch(/histogram_quantile\(0\.95/);
});

it("every expression has balanced brackets and only uses template variables the dashboard defines", () => {
  const vars = new Set(dashboard.templating.list.map((v: Any) => v.name));
  for (const e of exprs) {
    for (const [o, c] of [
      ["(", ")"],
      ["{", "}"],
      ["[", "]"],
    ] as const)
      expect(e.split(o).length, `${o}${c} in ${e}`).toBe(e.split(c).length);
    for (const m of e.matchAll(/\$(\w+)/g)) expect(vars.has(m[1]), `$${m[1]} in ${e}`).toBe(true);
  }
});

it("the runner metrics the dashboard reads are the ones apps/gpu-runner serves", () => {
  const src = tsFiles("apps/gpu-runner/src")
    .map((f) => readFileSync(f, "utf8"))
    .join("\n");
  const runnerMetrics = [...new Set(exprs.flatMap(metricNames).filter((m) => m.startsWith("hens_runner_")))];
  expect(runnerMetrics.length).toBeGreaterThanOrEqual(3);
  for (const m of runnerMetrics) expect(src, `${m} is not exported by the runner`).toContain(m);
});

it.skipIf(!exists("apps/web/src/app/api/metrics"))(
  "the web metrics the dashboard reads are served by /api/metrics",
  () => {
    const src = tsFiles("apps/web/src")
      .concat(tsFiles("packages"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const webMetrics = [
      ...new Set(
        exprs
          .flatMap(metricNames)
          .filter((m) => m.startsWith("hens_") && !m.startsWith("hens_runner_"))
          .map((m) => m.replace(/_(bucket|count|sum)$/, "")),
      ),
    ];
    for (const m of webMetrics) expect(src, `${m} is not exported by the web app`).toContain(m);
  },
);
