import { ExportableChart } from "./exportable";
import { box, colour, extent, Frame, Legend, NoData, scale, useChartWidth, xRange, yRange } from "./frame";

/** Horizontal bars, largest first (parameter importance, fANOVA-style from a random forest). */
export function ImportanceBars({ importance }: { importance: Record<string, number> }) {
  const [width, measure] = useChartWidth(560);
  const entries = Object.entries(importance).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0 || entries.every(([, v]) => v === 0))
    return <NoData>Importance needs at least 4 completed trials.</NoData>;
  const row = 22;
  const labelW = Math.min(150, Math.round(width * 0.35));
  const max = Math.max(...entries.map(([, v]) => v), 1e-12);
  const height = entries.length * row + 8;
  return (
    <ExportableChart label="Parameter importance" measure={measure}>
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
  const [chartWidth, measure] = useChartWidth(560);
  const withData = curves.filter((c) => c.points.length > 0);
  if (withData.length === 0) return <NoData>No intermediate values reported yet.</NoData>;
  const b = box(chartWidth);
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
        measure={measure}
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
