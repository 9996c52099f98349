import { binsFor, contourGrid, heatColour } from "./contour";
import { edfPath, edfSteps } from "./edf";
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
  useChartWidth,
  xRange,
  yRange,
} from "./frame";
import { pointHandlers, type TrialPoint } from "./study";
import { type TimelineTrial, timelineLanes } from "./timeline";

/** Empirical distribution of the objective, one step curve per series (a study, or each study on Compare). */
export function EdfChart({
  series,
  xLabel = "objective",
  label = "Empirical distribution of the objective",
}: {
  series: { name: string; values: number[] }[];
  xLabel?: string;
  label?: string;
}) {
  const [chartWidth, measure] = useChartWidth(560);
  const withData = series.map((s) => ({ ...s, steps: edfSteps(s.values) })).filter((s) => s.steps.length > 0);
  if (withData.length === 0)
    return <NoData>No completed trial yet: the distribution appears with the first result.</NoData>;
  const b = box(chartWidth);
  const xs = withData.flatMap((s) => s.steps.map((p) => p.x));
  const x = scale(extent(xs, 0.03), xRange(b));
  const y = scale([0, 1], yRange(b));
  return (
    <>
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel={xLabel}
        yLabel="fraction of trials ≤ x"
        label={label}
        testId="edf-chart"
      >
        {withData.map((s, k) => (
          <path
            // biome-ignore lint/suspicious/noArrayIndexKey: two studies may share a name
            key={k}
            d={edfPath(s.steps, x, y, x.domain[0], x.domain[1])}
            fill="none"
            stroke={colour(k)}
            strokeWidth={2}
            data-series={s.name}
          >
            <title>{`${s.name}: ${s.values.length} trials`}</title>
          </path>
        ))}
      </Frame>
      <Legend
        items={withData.map((s, k) => ({
          name: `${s.name} (${s.values.filter(Number.isFinite).length} trials)`,
          colour: colour(k),
        }))}
      />
    </>
  );
}

const CONTOUR_BINS = 12;

/**
 * Mean objective over two parameters on a grid (equal in log10 on a log axis); empty cells blank,
 * each trial a dot on top. Categorical parameters are left out of the pickers (no order to grid on).
 */
export function ContourChart({
  points,
  xParam,
  yParam,
  specs,
  onOpen,
}: {
  points: TrialPoint[];
  xParam: string;
  yParam: string;
  specs: Record<string, AxisSpec>;
  onOpen?: (n: number) => void;
}) {
  const [chartWidth, measure] = useChartWidth(560);
  const ok = points.filter(
    (p) =>
      p.state === "COMPLETE" &&
      p.value !== null &&
      typeof p.params[xParam] === "number" &&
      typeof p.params[yParam] === "number",
  );
  if (ok.length === 0)
    return (
      <NoData>
        No completed trial has set both {xParam} and {yParam}.
      </NoData>
    );
  const b = box(chartWidth, 300, 60, 40);
  const xv = ok.map((p) => p.params[xParam] as number);
  const yv = ok.map((p) => p.params[yParam] as number);
  const xs = paramScale(specs[xParam], xv, xRange(b));
  const ys = paramScale(specs[yParam], yv, yRange(b));
  const axis = (name: string, s: typeof xs) => ({
    domain: s.domain,
    log: s.log,
    bins: binsFor(specs[name]?.type ?? "float", s.domain, CONTOUR_BINS),
  });
  const cells = contourGrid(
    ok.map((p) => ({ x: p.params[xParam] as number, y: p.params[yParam] as number, z: p.value! })),
    axis(xParam, xs),
    axis(yParam, ys),
  );
  const means = cells.flatMap((c) => (c.mean === null ? [] : [c.mean]));
  const [lo, hi] = [Math.min(...means), Math.max(...means)];
  const t = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0);
  const label = `Contour: mean objective over ${xParam} and ${yParam}`;
  return (
    <>
      <Frame
        measure={measure}
        b={b}
        x={xs}
        y={ys}
        xLabel={`${xParam}${xs.log ? " (log scale)" : ""}`}
        yLabel={`${yParam}${ys.log ? " (log scale)" : ""}`}
        label={label}
        testId="contour-chart"
      >
        {cells
          .filter((c) => c.mean !== null)
          .map((c) => (
            <rect
              key={`${c.i}-${c.j}`}
              x={xs(c.x0)}
              y={ys(c.y1)}
              width={Math.max(0, xs(c.x1) - xs(c.x0))}
              height={Math.max(0, ys(c.y0) - ys(c.y1))}
              fill={heatColour(t(c.mean!))}
              data-testid="contour-cell"
            >
              <title>{`${xParam} ${tickLabel(c.x0)}–${tickLabel(c.x1)}, ${yParam} ${tickLabel(c.y0)}–${tickLabel(c.y1)}: mean ${c.mean!.toPrecision(4)} over ${c.count} trial${c.count === 1 ? "" : "s"}`}</title>
            </rect>
          ))}
        {ok.map((p) => (
          <circle
            key={p.number}
            cx={xs(p.params[xParam] as number)}
            cy={ys(p.params[yParam] as number)}
            r={2}
            fill="white"
            stroke="black"
            strokeWidth={0.6}
            {...pointHandlers(p.number, onOpen)}
          >
            <title>{`trial ${p.number}: ${xParam}=${p.params[xParam]}, ${yParam}=${p.params[yParam]}, ${p.value}`}</title>
          </circle>
        ))}
      </Frame>
      <p className="mt-1 flex items-center gap-2 text-xs">
        <span>Colour: mean objective {tickLabel(lo)}</span>
        <svg width="120" height="10" aria-hidden="true">
          {Array.from({ length: 12 }, (_, k) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: fixed colour stops
            <rect key={k} x={k * 10} width={10} height={10} fill={heatColour(k / 11)} />
          ))}
        </svg>
        <span>{tickLabel(hi)} (blank: no trial in the cell)</span>
      </p>
    </>
  );
}

const STATE_FILL: Record<string, string> = {
  COMPLETE: "#059669",
  PRUNED: "#d97706",
  FAIL: "#dc2626",
  RUNNING: "#2563eb",
  WAITING: "#64748b",
};

/** One lane per runner, each trial a bar from start to finish coloured by state (Ray's timeline). */
export function TimelineChart({
  trials,
  now,
  onOpen,
}: {
  trials: TimelineTrial[];
  now: number;
  onOpen?: (n: number) => void;
}) {
  const [chartWidth, measure] = useChartWidth(560);
  const { lanes, span } = timelineLanes(trials, now);
  if (lanes.length === 0) return <NoData>No trial has started yet.</NoData>;
  const lane = 28;
  const labelW = 110;
  const b = box(chartWidth, Math.max(120, lanes.length * lane + 56), labelW, 36);
  const x = scale([0, Math.max(span, 1)], xRange(b));
  const y = scale([lanes.length, 0], yRange(b));
  y.ticks = [];
  const states = [...new Set(lanes.flatMap((l) => l.bars.map((bar) => bar.state)))].sort();
  return (
    <>
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel="seconds since the first trial started"
        yLabel=""
        label="Per-runner trial timeline"
        testId="timeline-chart"
      >
        {lanes.map((l, k) => (
          <g key={l.runner} data-lane={l.runner}>
            <text x={labelW - 6} y={y(k + 0.5) + 3} textAnchor="end" fontSize={10} fill="currentColor">
              {l.runner.length > 16 ? `${l.runner.slice(0, 15)}…` : l.runner}
            </text>
            {l.bars.map((bar) => (
              <rect
                key={bar.number}
                x={x(bar.start)}
                width={Math.max(1, x(bar.end) - x(bar.start))}
                // Lane k spans k..k+1 on the (downward) lane scale; the bar fills its middle 70 %.
                y={Math.min(y(k + 0.15), y(k + 0.85))}
                height={Math.abs(y(k + 0.15) - y(k + 0.85))}
                fill={STATE_FILL[bar.state] ?? "#64748b"}
                fillOpacity={bar.open ? 0.5 : 0.85}
                stroke="white"
                strokeWidth={0.5}
                data-state={bar.state}
                {...pointHandlers(bar.number, onOpen)}
              >
                <title>{`trial ${bar.number} (${bar.state}) on ${l.runner}: ${bar.start.toFixed(1)}–${bar.end.toFixed(1)} s${bar.open ? ", still running" : ""}`}</title>
              </rect>
            ))}
          </g>
        ))}
      </Frame>
      <Legend items={states.map((s) => ({ name: s, colour: STATE_FILL[s] ?? "#64748b" }))} />
    </>
  );
}
