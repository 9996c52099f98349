import {
  box,
  colour,
  extent,
  Frame,
  Legend,
  NoData,
  scale,
  useChartWidth,
  xRange,
  yRange,
} from "../charts/frame";
import { fmt } from "../ui";
import { type DataComparison, experiments, normalPdf, pullHistogram, pulls } from "./physics-math";

/** Log x when the inputs are positive and span more than two decades (x in a PDF fit). */
const wantsLog = (xs: number[]) =>
  xs.length > 1 && xs.every((v) => v > 0) && Math.max(...xs) / Math.min(...xs) > 100;

/** Data (± error) and the ensemble's central prediction against the first input, one panel per experiment. */
export function ExperimentPanels({ data, xLabel }: { data: DataComparison | undefined; xLabel: string }) {
  if (!data || data.central.length === 0)
    return <NoData>No data comparison in this result (over 400 points are not stored).</NoData>;
  return (
    <div data-testid="experiment-panels">
      <div className="grid grid-cols-1 gap-2 md:grid-cols-2 xl:grid-cols-3">
        {experiments(data).map((e) => (
          <ExperimentPanel key={e.name} name={e.name} points={e.points} data={data} xLabel={xLabel} />
        ))}
      </div>
      <Legend
        items={[
          { name: "data ± error (√ of the covariance's diagonal)", colour: "currentColor" },
          { name: "ensemble central prediction ⟨T⟩", colour: colour(3) },
        ]}
      />
    </div>
  );
}

function ExperimentPanel({
  name,
  points,
  data,
  xLabel,
}: {
  name: string;
  points: number[];
  data: DataComparison;
  xLabel: string;
}) {
  const [chartWidth, measure] = useChartWidth(360);
  const b = box(chartWidth, 220, 50);
  const xs = points.map((i) => data.x[i]!);
  const log = wantsLog(xs);
  const [lo, hi] = log ? [Math.min(...xs), Math.max(...xs)] : extent(xs);
  const x = scale([lo, hi], xRange(b), log);
  const err = (i: number) => data.error[i] ?? 0;
  const y = scale(
    extent(
      points.flatMap((i) => [data.central[i]! - err(i), data.central[i]! + err(i), data.prediction[i]!]),
    ),
    yRange(b),
  );
  const order = [...points].sort((a, c) => data.x[a]! - data.x[c]!);
  const line = order.map((i, k) => `${k ? "L" : "M"}${x(data.x[i]!)},${y(data.prediction[i]!)}`).join(" ");
  return (
    <figure>
      <figcaption className="text-xs font-semibold">{name}</figcaption>
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel={log ? `${xLabel} (log)` : xLabel}
        yLabel="observable"
        label={`Data and prediction for ${name}`}
      >
        {points.map((i) => (
          <g key={i}>
            <line
              x1={x(data.x[i]!)}
              x2={x(data.x[i]!)}
              y1={y(data.central[i]! - err(i))}
              y2={y(data.central[i]! + err(i))}
              stroke="currentColor"
              strokeOpacity={0.55}
            />
            <circle cx={x(data.x[i]!)} cy={y(data.central[i]!)} r={2} fill="currentColor" />
          </g>
        ))}
        <path d={line} fill="none" stroke={colour(3)} strokeWidth={1.5} />
        {order.map((i) => (
          <circle key={`p${i}`} cx={x(data.x[i]!)} cy={y(data.prediction[i]!)} r={1.6} fill={colour(3)} />
        ))}
      </Frame>
    </figure>
  );
}

/** Histogram of the pulls (data − prediction)/error with the unit normal's density overlaid. */
export function PullHistogramChart({ data }: { data: DataComparison | undefined }) {
  const [chartWidth, measure] = useChartWidth(560);
  const values = data ? pulls(data) : [];
  if (values.length === 0) return <NoData>No data points with errors to compute pulls from.</NoData>;
  const h = pullHistogram(values);
  const b = box(chartWidth, 220, 46);
  const x = scale([-4, 4], xRange(b));
  const peak = Math.max(normalPdf(0), ...h.bins.map((bin) => bin.density));
  const y = scale([0, peak * 1.1], yRange(b));
  let step = `M${x(-4)},${y(0)}`;
  for (const bin of h.bins) step += ` L${x(bin.lo)},${y(bin.density)} L${x(bin.hi)},${y(bin.density)}`;
  step += ` L${x(4)},${y(0)}`;
  const curve = Array.from({ length: 161 }, (_, i) => -4 + i * 0.05)
    .map((v, i) => `${i ? "L" : "M"}${x(v)},${y(normalPdf(v))}`)
    .join(" ");
  return (
    <div data-testid="pull-histogram">
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel="pull = (data − prediction) / error"
        yLabel="density"
        label="Histogram of pulls with the unit normal overlaid"
      >
        <path d={step} fill={colour(1)} fillOpacity={0.3} stroke={colour(1)} strokeWidth={1.5} />
        <path d={curve} fill="none" stroke={colour(2)} strokeWidth={1.5} strokeDasharray="5 3" />
      </Frame>
      <Legend
        items={[
          { name: `pulls (${h.n} points, bins of ${h.width})`, colour: colour(1), area: true },
          { name: "unit normal N(0, 1)", colour: colour(2), dashed: true },
        ]}
      />
      <p className="text-xs text-slate-600 dark:text-slate-400">
        Mean {fmt(h.mean, 3)}, rms {fmt(h.rms, 3)} (1 for faithful errors).
        {h.underflow + h.overflow > 0 ? ` ${h.underflow} below −4, ${h.overflow} above 4.` : ""} Errors are
        the diagonal of the covariance: correlated systematics make pulls of one experiment move together.
      </p>
    </div>
  );
}
