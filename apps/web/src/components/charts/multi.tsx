import { ExportableChart } from "./exportable";
import {
  type AxisSpec,
  box,
  colour,
  extent,
  Frame,
  Legend,
  NoData,
  paramScale,
  scale,
  tickLabel,
  xRange,
  yRange,
} from "./frame";
import type { TrialPoint } from "./study";

/** One vertical axis per parameter plus the objective; each trial a line, the best ones darkest. */
export function ParallelCoordinates({
  points,
  params,
  specs = {},
}: {
  points: TrialPoint[];
  params: string[];
  specs?: Record<string, AxisSpec>;
}) {
  const ok = points.filter((p) => p.state === "COMPLETE" && p.value !== null);
  if (ok.length === 0 || params.length === 0) return <NoData>Needs completed trials.</NoData>;
  const axes = [...params, "objective"];
  const width = Math.max(900, axes.length * 160);
  const height = 300;
  const top = 24;
  const bottom = 40;
  const x = (i: number) => 40 + (i * (width - 80)) / Math.max(1, axes.length - 1);
  const scales = axes.map((name) => {
    const values = ok.map((p) => (name === "objective" ? p.value! : p.params[name]));
    const categorical = values.some((v) => v !== undefined && typeof v !== "number");
    const cats = categorical ? [...new Set(values.filter((v) => v !== undefined).map(String))].sort() : [];
    const nums = values.filter((v): v is number => typeof v === "number");
    const range: [number, number] = [height - bottom, top];
    const spec = name === "objective" ? undefined : specs[name];
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
    return { name: s.log ? `${name} (log)` : name, key: name, at, labels };
  });
  const values = ok.map((p) => p.value!);
  const [vmin, vmax] = [Math.min(...values), Math.max(...values)];
  return (
    <ExportableChart label="Parallel coordinates of parameters and objective">
      <div className="relative overflow-x-auto">
        <svg
          viewBox={`0 0 ${width} ${height}`}
          style={{ minWidth: Math.min(width, 640) }}
          className="w-full"
          role="img"
          aria-label="Parallel coordinates of parameters and objective"
          data-testid="parallel-chart"
        >
          <title>Parallel coordinates of parameters and objective</title>
          {ok.map((p) => {
            const t = vmax > vmin ? (p.value! - vmin) / (vmax - vmin) : 0;
            let d = "";
            scales.forEach((s, i) => {
              const yv = s.at(s.key === "objective" ? p.value : p.params[s.key]);
              if (yv !== null) d += `${d ? "L" : "M"}${x(i)},${yv} `;
            });
            return (
              <path
                key={p.number}
                d={d}
                fill="none"
                stroke={colour(0)}
                strokeOpacity={0.85 - 0.7 * t}
                strokeWidth={1}
              >
                <title>{`trial ${p.number}: ${p.value}`}</title>
              </path>
            );
          })}
          {scales.map((s, i) => (
            <g key={s.name} fontSize={10} fill="currentColor">
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
            </g>
          ))}
        </svg>
        <p className="text-xs text-slate-600 dark:text-slate-400">Darker lines: lower objective.</p>
      </div>
    </ExportableChart>
  );
}

/** Horizontal bars, largest first (parameter importance, fANOVA-style from a random forest). */
export function ImportanceBars({ importance }: { importance: Record<string, number> }) {
  const entries = Object.entries(importance).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0 || entries.every(([, v]) => v === 0))
    return <NoData>Importance needs at least 4 completed trials.</NoData>;
  const row = 22;
  const width = 560;
  const labelW = 150;
  const max = Math.max(...entries.map(([, v]) => v), 1e-12);
  const height = entries.length * row + 8;
  return (
    <ExportableChart label="Parameter importance">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        className="w-full"
        role="img"
        aria-label="Parameter importance"
        data-testid="importance-chart"
      >
        <title>Parameter importance</title>
        {entries.map(([name, v], i) => (
          <g key={name} fontSize={11} fill="currentColor">
            <text x={labelW - 6} y={i * row + 15} textAnchor="end">
              {name}
            </text>
            <rect
              x={labelW}
              y={i * row + 4}
              height={row - 8}
              width={((width - labelW - 60) * v) / max}
              fill={colour(0)}
            />
            <text x={labelW + ((width - labelW - 60) * v) / max + 4} y={i * row + 15}>
              {v.toFixed(3)}
            </text>
          </g>
        ))}
      </svg>
    </ExportableChart>
  );
}

/** Intermediate validation chi2 against epochs; pruned trials dashed and marked where they stopped. */
export function LearningCurves({
  curves,
}: {
  curves: { number: number; state: string; points: [number, number][] }[];
}) {
  const withData = curves.filter((c) => c.points.length > 0);
  if (withData.length === 0) return <NoData>No intermediate values reported yet.</NoData>;
  const b = box();
  const all = withData.flatMap((c) => c.points);
  const x = scale(
    extent(
      all.map((p) => p[0]),
      0.02,
    ),
    xRange(b),
  );
  const ys = all.map((p) => p[1]).filter((v) => v > 0);
  const log = ys.length === all.length && Math.max(...ys) / Math.min(...ys) > 30;
  const y = scale(
    extent(
      all.map((p) => p[1]),
      log ? 0 : 0.05,
    ),
    yRange(b),
    log,
  );
  return (
    <>
      <Frame
        b={b}
        x={x}
        y={y}
        xLabel="epoch"
        yLabel="validation χ² per point"
        label="Learning curves with pruned trials marked"
        testId="curves-chart"
      >
        {withData.map((c) => {
          const pruned = c.state === "PRUNED";
          const d = c.points.map((p, i) => `${i ? "L" : "M"}${x(p[0])},${y(p[1])}`).join(" ");
          const last = c.points.at(-1)!;
          return (
            <g key={c.number}>
              <path
                d={d}
                fill="none"
                stroke={pruned ? colour(3) : colour(0)}
                strokeOpacity={0.7}
                strokeDasharray={pruned ? "4 3" : undefined}
              >
                <title>{`trial ${c.number} (${c.state})`}</title>
              </path>
              {pruned ? (
                <text x={x(last[0])} y={y(last[1]) + 4} textAnchor="middle" fontSize={12} fill={colour(3)}>
                  ✕
                </text>
              ) : null}
            </g>
          );
        })}
      </Frame>
      <Legend
        items={[
          { name: "completed / running", colour: colour(0) },
          { name: "pruned (✕ where it stopped)", colour: colour(3), dashed: true },
        ]}
      />
      <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
        Reported during training: the χ² per point on each replica&apos;s validation split (its best so far),
        averaged over replicas and folds. L1 is the χ² on the held-out folds after training, so the two
        differ.
      </p>
    </>
  );
}
