import { box, colour, extent, Frame, Legend, NoData, scale, useChartWidth, xRange, yRange } from "./frame";

/** Overlaid step histograms on shared bins (distributions of L1, phi2, run time, replica chi2). */
export function Histogram({
  series,
  xLabel,
  label,
  bins = 20,
  testId,
  width: viewWidth = 380,
}: {
  series: { name: string; values: number[] }[];
  xLabel: string;
  label: string;
  bins?: number;
  testId?: string;
  /** The viewBox width: about the width it is shown at, so text keeps its size. */
  width?: number;
}) {
  const [chartWidth, measure] = useChartWidth(viewWidth);
  const withData = series.filter((s) => s.values.some(Number.isFinite));
  if (withData.length === 0) return <NoData>No values yet.</NoData>;
  const [lo, hi] = extent(
    withData.flatMap((s) => s.values.filter(Number.isFinite)),
    0,
  );
  const width = (hi - lo) / bins;
  const counts = withData.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of s.values) {
      if (!Number.isFinite(v)) continue;
      c[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]! += 1;
    }
    // Fractions, so studies of different sizes compare by shape.
    const n = s.values.filter(Number.isFinite).length || 1;
    return c.map((k) => k / n);
  });
  const b = box(chartWidth, 220, 46);
  const x = scale([lo, hi], xRange(b));
  const y = scale([0, Math.max(...counts.flat(), 0.01) * 1.05], yRange(b));
  return (
    <>
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel={xLabel}
        yLabel="fraction"
        label={label}
        testId={testId}
      >
        {counts.map((c, si) => {
          let d = `M${x(lo)},${y(0)}`;
          c.forEach((f, i) => {
            d += ` L${x(lo + i * width)},${y(f)} L${x(lo + (i + 1) * width)},${y(f)}`;
          });
          d += ` L${x(hi)},${y(0)}`;
          return (
            <path
              key={withData[si]!.name}
              d={d}
              fill={colour(si)}
              fillOpacity={withData.length > 1 ? 0.12 : 0.35}
              stroke={colour(si)}
              strokeWidth={1.5}
            />
          );
        })}
      </Frame>
      {withData.length > 1 ? (
        <Legend items={withData.map((s, i) => ({ name: s.name, colour: colour(i) }))} />
      ) : null}
    </>
  );
}

/** Several studies' best-so-far histories on one axis (compare page). */
export function MultiHistory({
  series,
}: {
  series: { name: string; history: { number: number; value: number }[]; lastTrial?: number | null }[];
}) {
  const [chartWidth, measure] = useChartWidth(1100);
  const withData = series.filter((s) => s.history.length > 0);
  if (withData.length === 0) return <NoData>None of these studies has a completed trial yet.</NoData>;
  const b = box(chartWidth, 300);
  const all = withData.flatMap((s) => s.history);
  // Each line runs on to its study's last finished trial: a flat tail is "no better found since".
  const end = (s: (typeof withData)[number]) => Math.max(s.lastTrial ?? 0, s.history.at(-1)?.number ?? 0);
  const x = scale(extent([...all.map((h) => h.number), ...withData.map(end)], 0.02), xRange(b));
  const y = scale(extent(all.map((h) => h.value)), yRange(b));
  return (
    <>
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel="trial"
        yLabel="best objective so far"
        label="Best-so-far histories overlaid"
        testId="compare-history"
      >
        {withData.map((s, i) => {
          let d = "";
          s.history.forEach((h, k) => {
            const next = s.history[k + 1]?.number ?? end(s);
            d += `${k ? "L" : "M"}${x(h.number)},${y(h.value)} L${x(next)},${y(h.value)} `;
          });
          return <path key={s.name} d={d} fill="none" stroke={colour(i)} strokeWidth={2} />;
        })}
      </Frame>
      <Legend items={withData.map((s, i) => ({ name: s.name, colour: colour(i) }))} />
    </>
  );
}

interface Band {
  name: string;
  mean: number[];
  lower: number[];
  upper: number[];
  truth?: number[];
}

export interface Predictions {
  x: number[];
  xLabel?: string;
  flavours: Band[];
  data?: { x: number[]; central: number[]; error: number[]; prediction: number[] };
}

function FlavourPanel({ xs, band, xLabel }: { xs: number[]; band: Band; xLabel: string }) {
  const [chartWidth, measure] = useChartWidth(360);
  const b = box(chartWidth, 220, 46);
  const log = xs.every((v) => v > 0) && Math.max(...xs) / Math.min(...xs) > 100;
  const x = scale([Math.min(...xs), Math.max(...xs)], xRange(b), log);
  const y = scale(extent([...band.lower, ...band.upper, ...(band.truth ?? [])]), yRange(b));
  const line = (vs: number[]) => vs.map((v, i) => `${i ? "L" : "M"}${x(xs[i]!)},${y(v)}`).join(" ");
  const area = `${line(band.upper)} ${band.lower
    .map((v, i) => [i, v] as const)
    .reverse()
    .map(([i, v]) => `L${x(xs[i]!)},${y(v)}`)
    .join(" ")} Z`;
  return (
    <Frame
      measure={measure}
      b={b}
      x={x}
      y={y}
      xLabel={xLabel}
      yLabel={band.name}
      label={`Ensemble prediction for ${band.name} with uncertainty band`}
    >
      <path d={area} fill={colour(0)} fillOpacity={0.2} />
      <path d={line(band.mean)} fill="none" stroke={colour(0)} strokeWidth={2} />
      {band.truth ? (
        <path d={line(band.truth)} fill="none" stroke={colour(2)} strokeWidth={1.5} strokeDasharray="5 3" />
      ) : null}
    </Frame>
  );
}

/** The selected trial's ensemble: each flavour's mean and band against the truth, then the data. */
export function PredictionBands({ predictions }: { predictions: Predictions | null }) {
  if (!predictions || predictions.flavours.length === 0)
    return <NoData>Predictions appear once a trial of the built-in task completes.</NoData>;
  const d = predictions.data;
  return (
    <div data-testid="predictions-chart">
      <div className="grid grid-cols-1 gap-2 md:grid-cols-2 xl:grid-cols-3">
        {predictions.flavours.map((f) => (
          <FlavourPanel key={f.name} xs={predictions.x} band={f} xLabel={predictions.xLabel ?? "x"} />
        ))}
      </div>
      <Legend
        items={[
          { name: "ensemble mean", colour: colour(0) },
          { name: "band: mean ± 1σ over the ensemble's members", colour: colour(0), area: true },
          // Only the closure task knows the truth; real data has none to draw.
          ...(predictions.flavours.some((f) => f.truth)
            ? [{ name: "truth (closure test)", colour: colour(2), dashed: true }]
            : []),
        ]}
      />
      {d && d.central.length > 0 ? <DataPanel data={d} /> : null}
    </div>
  );
}

function DataPanel({ data }: { data: NonNullable<Predictions["data"]> }) {
  const [chartWidth, measure] = useChartWidth(1100);
  const b = box(chartWidth, 240);
  const idx = data.central.map((_, i) => i);
  const x = scale([-1, idx.length], xRange(b));
  const y = scale(
    extent([
      ...data.central.map((c, i) => c - (data.error[i] ?? 0)),
      ...data.central.map((c, i) => c + (data.error[i] ?? 0)),
      ...data.prediction,
    ]),
    yRange(b),
  );
  return (
    <>
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel="data point"
        yLabel="observable"
        label="Ensemble prediction against the data with errors"
      >
        {idx.map((i) => (
          <g key={i}>
            <line
              x1={x(i)}
              x2={x(i)}
              y1={y(data.central[i]! - (data.error[i] ?? 0))}
              y2={y(data.central[i]! + (data.error[i] ?? 0))}
              stroke="currentColor"
              strokeOpacity={0.5}
            />
            <circle cx={x(i)} cy={y(data.central[i]!)} r={1.8} fill="currentColor" />
            <circle cx={x(i)} cy={y(data.prediction[i] ?? Number.NaN)} r={1.8} fill={colour(3)} />
          </g>
        ))}
      </Frame>
      <Legend
        items={[
          { name: "data ± error", colour: "currentColor" },
          { name: "ensemble prediction", colour: colour(3) },
        ]}
      />
    </>
  );
}
