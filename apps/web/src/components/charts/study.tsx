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
  useChartWidth,
  xRange,
  yRange,
} from "./frame";

export interface TrialPoint {
  number: number;
  state: string;
  value: number | null;
  L1: number | null;
  phi2: number | null;
  foldChi2: number[] | null;
  params: Record<string, string | number | boolean>;
}

/**
 * A point that opens its trial on click (the study page's trial dialog). Points are not tab stops:
 * a chart has hundreds; the trials table is the keyboard path to the same dialog.
 */
export function pointHandlers(number: number, onOpen: ((n: number) => void) | undefined) {
  if (!onOpen) return {};
  return {
    onClick: () => onOpen(number),
    style: { cursor: "pointer" },
    "data-trial": number,
  };
}

const done = (p: TrialPoint[]) => p.filter((t) => t.state === "COMPLETE" && t.value !== null);

/** Objective per trial and the best-so-far step line (optuna-dashboard's history plot). */
export function HistoryChart({
  points,
  history,
  onOpen,
}: {
  points: TrialPoint[];
  history: { number: number; value: number }[];
  onOpen?: (n: number) => void;
}) {
  const [chartWidth, measure] = useChartWidth(560);
  const ok = done(points);
  if (ok.length === 0)
    return <NoData>No completed trial yet: the history appears with the first result.</NoData>;
  const b = box(chartWidth);
  const lastNumber = Math.max(...points.map((p) => p.number));
  const x = scale(extent([0, lastNumber], 0.02), xRange(b));
  const y = scale(extent(ok.map((p) => p.value!)), yRange(b));
  let path = "";
  history.forEach((h, i) => {
    const next = history[i + 1]?.number ?? lastNumber;
    path += `${i === 0 ? "M" : "L"}${x(h.number)},${y(h.value)} L${x(next)},${y(h.value)} `;
  });
  return (
    <>
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel="trial"
        yLabel="objective"
        label="Optimisation history with best so far"
        testId="history-chart"
      >
        {ok.map((p) => (
          <circle
            key={p.number}
            cx={x(p.number)}
            cy={y(p.value!)}
            r={3}
            fill={colour(1)}
            fillOpacity={0.7}
            {...pointHandlers(p.number, onOpen)}
          >
            <title>{`trial ${p.number}: ${p.value}`}</title>
          </circle>
        ))}
        <path d={path} fill="none" stroke={colour(0)} strokeWidth={2} />
      </Frame>
      <Legend
        items={[
          { name: "objective per trial", colour: colour(1) },
          { name: "best so far", colour: colour(0) },
        ]}
      />
    </>
  );
}

/** L1 against phi2, the best-chi2 window shaded and the selected (largest phi2 in it) ringed. */
export function SelectionScatter({
  points,
  window,
  selected,
  argmin,
  onOpen,
}: {
  points: TrialPoint[];
  window: [number, number] | null;
  selected: number | null;
  argmin: number | null;
  onOpen?: (n: number) => void;
}) {
  const [chartWidth, measure] = useChartWidth(560);
  const ok = points.filter((p) => p.state === "COMPLETE" && p.L1 !== null && p.phi2 !== null);
  if (ok.length === 0) return <NoData>Needs completed trials (L1 and φ² come with each result).</NoData>;
  const b = box(chartWidth);
  const x = scale(extent(ok.map((p) => p.L1!)), xRange(b));
  const y = scale(extent(ok.map((p) => p.phi2!)), yRange(b));
  const [top, bottom] = yRange(b).slice().reverse() as [number, number];
  return (
    <>
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel="L1 (mean held-out χ²)"
        yLabel="φ²"
        label="L1 against phi2 with the selection window"
        testId="selection-scatter"
      >
        {window ? (
          <rect
            x={x(window[0])}
            width={Math.max(2, x(Math.min(window[1], x.domain[1])) - x(window[0]))}
            y={top}
            height={bottom - top}
            fill={colour(4)}
            fillOpacity={0.12}
          >
            <title>{`best-χ² window: L1 in [${window[0].toPrecision(4)}, ${window[1].toPrecision(4)}]`}</title>
          </rect>
        ) : null}
        {ok.map((p) => (
          <circle
            key={p.number}
            cx={x(p.L1!)}
            cy={y(p.phi2!)}
            r={3}
            fill={colour(1)}
            fillOpacity={0.7}
            {...pointHandlers(p.number, onOpen)}
          >
            <title>{`trial ${p.number}: L1 ${p.L1}, φ² ${p.phi2}`}</title>
          </circle>
        ))}
        {ok
          .filter((p) => p.number === selected || p.number === argmin)
          .map((p) => (
            <circle
              key={`h${p.number}`}
              cx={x(p.L1!)}
              cy={y(p.phi2!)}
              r={7}
              fill="none"
              stroke={p.number === selected ? colour(3) : colour(2)}
              strokeWidth={2.5}
            >
              <title>{`${p.number === selected ? "selected" : "argmin L1"}: trial ${p.number}`}</title>
            </circle>
          ))}
      </Frame>
      <Legend
        items={[
          { name: "best-χ² window (min L1 + std L1)", colour: colour(4) },
          { name: "selected (largest φ² in window)", colour: colour(3) },
          { name: "argmin L1", colour: colour(2) },
        ]}
      />
    </>
  );
}

/** Objective against one parameter (optuna-dashboard's slice plot); categorical values get slots. */
export function SliceChart({
  points,
  param,
  spec,
  onOpen,
}: {
  points: TrialPoint[];
  param: string;
  spec?: AxisSpec | undefined;
  onOpen?: (n: number) => void;
}) {
  const [chartWidth, measure] = useChartWidth(560);
  const ok = done(points).filter((p) => p.params[param] !== undefined);
  if (ok.length === 0) return <NoData>No completed trial has set {param} yet.</NoData>;
  const raw = ok.map((p) => p.params[param]!);
  const categorical = raw.some((v) => typeof v !== "number");
  const cats = categorical ? [...new Set(raw.map(String))].sort() : [];
  const xv = (v: string | number | boolean) => (categorical ? cats.indexOf(String(v)) : (v as number));
  const nums = ok.map((p) => xv(p.params[param]!));
  const b = box(chartWidth);
  const x = categorical ? scale([-0.5, cats.length - 0.5], xRange(b)) : paramScale(spec, nums, xRange(b));
  if (categorical) x.ticks = cats.map((_, i) => i);
  const y = scale(extent(ok.map((p) => p.value!)), yRange(b));
  return (
    <Frame
      measure={measure}
      b={b}
      x={x}
      y={y}
      xLabel={`${param}${x.log ? " (log scale)" : ""}`}
      yLabel="objective"
      label={`Slice: objective against ${param}`}
      xTickFormat={categorical ? (i) => cats[i] ?? "" : undefined}
    >
      {ok.map((p) => (
        <circle
          key={p.number}
          cx={x(xv(p.params[param]!))}
          cy={y(p.value!)}
          r={3}
          fill={colour(0)}
          fillOpacity={0.6}
          {...pointHandlers(p.number, onOpen)}
        >
          <title>{`trial ${p.number}: ${param}=${String(p.params[param])}, ${p.value}`}</title>
        </circle>
      ))}
    </Frame>
  );
}

/** Held-out chi2 of each fold for each trial: a fold that fails alone shows as one high dot. */
export function FoldChi2Chart({ points }: { points: TrialPoint[] }) {
  const [chartWidth, measure] = useChartWidth(560);
  const ok = points.filter((p) => p.foldChi2 && p.foldChi2.length > 0);
  if (ok.length === 0) return <NoData>No trial has reported per-fold χ² yet.</NoData>;
  const folds = Math.max(...ok.map((p) => p.foldChi2!.length));
  const b = box(chartWidth);
  const x = scale(
    extent(
      ok.map((p) => p.number),
      0.03,
    ),
    xRange(b),
  );
  const y = scale(extent(ok.flatMap((p) => p.foldChi2!)), yRange(b));
  return (
    <>
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel="trial"
        yLabel="held-out χ² per fold"
        label="Per-fold chi2 per trial"
        testId="fold-chart"
      >
        {ok.map((p) => (
          <g key={p.number}>
            <line
              x1={x(p.number)}
              x2={x(p.number)}
              y1={y(Math.min(...p.foldChi2!))}
              y2={y(Math.max(...p.foldChi2!))}
              stroke="currentColor"
              strokeOpacity={0.25}
            />
            {p.foldChi2!.map((v, k) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: folds are positional
              <circle key={k} cx={x(p.number)} cy={y(v)} r={2.5} fill={colour(k)}>
                <title>{`trial ${p.number}, fold ${k + 1}: χ² ${v}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </Frame>
      <Legend
        items={Array.from({ length: folds }, (_, k) => ({ name: `fold ${k + 1}`, colour: colour(k) }))}
      />
    </>
  );
}
