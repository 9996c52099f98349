import type { FitBands, FitDistance, OutputBand } from "@hyperensemble/platform/fit-bands";
import {
  box,
  colour,
  extent,
  Frame,
  Legend,
  NoData,
  type Scale,
  scale,
  useChartWidth,
  xRange,
  yRange,
} from "../charts/frame";

// A fit's bands (fit page) and two fits' bands overlaid with their distance (fit comparison), drawn
// with the charts' Frame so each exports as SVG and PNG like every other chart.

export type XAxis = "log" | "linear";

const line = (xs: number[], vs: number[], x: Scale, y: Scale) =>
  vs
    .map((v, i) => [xs[i]!, v] as const)
    .filter(([, v]) => Number.isFinite(v))
    .map(([xv, v], k) => `${k ? "L" : "M"}${x(xv)},${y(v)}`)
    .join(" ");

function area(xs: number[], lower: number[], upper: number[], x: Scale, y: Scale) {
  const back = lower
    .map((v, i) => [i, v] as const)
    .reverse()
    .map(([i, v]) => `L${x(xs[i]!)},${y(v)}`)
    .join(" ");
  return `${line(xs, upper, x, y)} ${back} Z`;
}

function xScale(xs: number[], axis: XAxis, range: [number, number]) {
  const log = axis === "log" && xs.every((v) => v > 0);
  return scale([Math.min(...xs), Math.max(...xs)], range, log);
}

interface Series {
  label: string;
  bands: FitBands;
  band: OutputBand;
}

/** One output: per fit its 68% band (filled), 1σ band (dashed edges) and central value; the truth. */
function OutputPanel({ series, axis, testId }: { series: Series[]; axis: XAxis; testId?: string }) {
  const [chartWidth, measure] = useChartWidth(380);
  const b = box(chartWidth, 240, 50);
  const first = series[0]!;
  const xs = first.bands.x;
  const x = xScale(xs, axis, xRange(b));
  const ys = series.flatMap((s) => [
    ...s.band.lower68,
    ...s.band.upper68,
    ...s.band.mean.map((m, i) => m - s.band.sd[i]!),
    ...s.band.mean.map((m, i) => m + s.band.sd[i]!),
    ...(s.band.truth ?? []),
  ]);
  const y = scale(extent(ys), yRange(b));
  const name = first.band.name;
  return (
    <Frame
      measure={measure}
      b={b}
      x={x}
      y={y}
      xLabel={axis === "log" ? "x (log)" : "x"}
      yLabel={name}
      label={`${name}: central value with 68% and 1σ bands${series.length > 1 ? ", two fits" : ""} (${axis} x)`}
      testId={testId}
    >
      {series.map((s, i) => {
        const sx = s.bands.x;
        const lo = s.band.mean.map((m, k) => m - s.band.sd[k]!);
        const hi = s.band.mean.map((m, k) => m + s.band.sd[k]!);
        return (
          <g key={s.label}>
            <path d={area(sx, s.band.lower68, s.band.upper68, x, y)} fill={colour(i)} fillOpacity={0.22} />
            <path
              d={line(sx, lo, x, y)}
              fill="none"
              stroke={colour(i)}
              strokeWidth={1}
              strokeDasharray="3 2"
            />
            <path
              d={line(sx, hi, x, y)}
              fill="none"
              stroke={colour(i)}
              strokeWidth={1}
              strokeDasharray="3 2"
            />
            <path d={line(sx, s.band.mean, x, y)} fill="none" stroke={colour(i)} strokeWidth={2} />
          </g>
        );
      })}
      {first.band.truth ? (
        <path
          d={line(xs, first.band.truth, x, y)}
          fill="none"
          stroke={colour(2)}
          strokeWidth={1.5}
          strokeDasharray="6 3"
        />
      ) : null}
    </Frame>
  );
}

function bandLegend(labels: string[], truth: boolean) {
  return [
    ...labels.flatMap((label, i) => [
      { name: `${label}central value (replica mean)`, colour: colour(i) },
      { name: `${label}68% band (16th–84th percentile)`, colour: colour(i), area: true },
      { name: `${label}1σ band (mean ± standard deviation)`, colour: colour(i), dashed: true },
    ]),
    ...(truth ? [{ name: "truth", colour: colour(2), dashed: true }] : []),
  ];
}

/** Every output of one fit, or of two fits overlaid (outputs matched by name). */
export function FitBandsChart({ fits, axis }: { fits: { label: string; bands: FitBands }[]; axis: XAxis }) {
  const first = fits[0];
  if (!first || first.bands.replicas === 0 || first.bands.outputs.length === 0)
    return <NoData>No bands: the fit kept no replica.</NoData>;
  const panels = first.bands.outputs.map((band) =>
    fits.flatMap((f) => {
      const match = f.bands.outputs.find((o) => o.name === band.name);
      return match ? [{ label: f.label, bands: f.bands, band: match }] : [];
    }),
  );
  return (
    <div data-testid="fit-bands">
      <div className="grid grid-cols-1 gap-2 md:grid-cols-2 xl:grid-cols-3">
        {panels.map((series) => (
          <OutputPanel key={series[0]!.band.name} series={series} axis={axis} testId="fit-band-panel" />
        ))}
      </div>
      <Legend
        items={bandLegend(
          fits.map((f) => (fits.length > 1 ? `${f.label}: ` : "")),
          first.bands.outputs.some((o) => o.truth),
        )}
      />
    </div>
  );
}

/** NNPDF's distance plot: d(x) per output, with the line d = 1 (one unit of the difference's uncertainty). */
export function DistanceChart({ distance, axis }: { distance: FitDistance; axis: XAxis }) {
  const [chartWidth, measure] = useChartWidth(1100);
  if (distance.outputs.length === 0) return <NoData>The two fits have no output in common.</NoData>;
  const b = box(chartWidth, 280);
  const x = xScale(distance.x, axis, xRange(b));
  const all = distance.outputs.flatMap((o) => o.distance.filter((d): d is number => d !== null));
  const y = scale([0, Math.max(2, ...all) * 1.05], yRange(b));
  return (
    <div data-testid="fit-distance">
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel={axis === "log" ? "x (log)" : "x"}
        yLabel="d(x)"
        label={`Distance between the central values in units of their uncertainty (${axis} x)`}
      >
        <line
          x1={xRange(b)[0]}
          x2={xRange(b)[1]}
          y1={y(1)}
          y2={y(1)}
          stroke="currentColor"
          strokeDasharray="4 3"
        />
        {distance.outputs.map((o, i) => (
          <path
            key={o.name}
            d={line(
              distance.x,
              o.distance.map((d) => d ?? Number.NaN),
              x,
              y,
            )}
            fill="none"
            stroke={colour(i)}
            strokeWidth={2}
          />
        ))}
      </Frame>
      <Legend
        items={[
          ...distance.outputs.map((o, i) => ({ name: o.name, colour: colour(i) })),
          { name: "d = 1", colour: "currentColor", dashed: true },
        ]}
      />
    </div>
  );
}

export function AxisToggle({ axis, onChange }: { axis: XAxis; onChange: (a: XAxis) => void }) {
  return (
    <fieldset className="flex items-center gap-3 text-xs">
      <legend className="sr-only">x axis</legend>
      {(["log", "linear"] as const).map((a) => (
        <label key={a} className="flex items-center gap-1">
          <input type="radio" name="x-axis" value={a} checked={axis === a} onChange={() => onChange(a)} />
          {a} x
        </label>
      ))}
    </fieldset>
  );
}
