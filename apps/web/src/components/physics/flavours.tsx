"use client";

import { useId, useState } from "react";
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
import { ratioToTruth, type StoredBand, type StoredPredictions } from "./physics-math";

/**
 * Each flavour's ensemble against x: mean, ±1σ band, stored replica curves and the truth, with the
 * ratio to the truth beneath (closure tasks); linear or log x.
 */
export function FlavourPanels({ predictions }: { predictions: StoredPredictions | null }) {
  const [logX, setLogX] = useState(true);
  const name = useId();
  if (!predictions || predictions.flavours.length === 0)
    return <NoData>No flavour predictions in this result.</NoData>;
  const xs = predictions.x;
  const canLog = xs.every((v) => v > 0);
  const log = logX && canLog;
  const replicas = Math.max(0, ...predictions.flavours.map((f) => f.replicas?.length ?? 0));
  const hasTruth = predictions.flavours.some((f) => f.truth);
  return (
    <div data-testid="flavour-panels" className="space-y-2">
      <fieldset className="flex flex-wrap items-center gap-3 text-sm">
        <legend className="sr-only">x axis</legend>
        {(["log", "linear"] as const).map((kind) => (
          <label key={kind} className="flex items-center gap-1">
            <input
              type="radio"
              name={name}
              checked={kind === "log" ? log : !log}
              disabled={kind === "log" && !canLog}
              onChange={() => setLogX(kind === "log")}
            />
            {kind} x
          </label>
        ))}
      </fieldset>
      <div className="grid grid-cols-1 gap-3 md:grid-cols-2 xl:grid-cols-3">
        {predictions.flavours.map((band) => (
          <div key={band.name}>
            <FlavourChart xs={xs} band={band} log={log} xLabel={predictions.xLabel ?? "x"} />
            {band.truth ? (
              <FlavourChart
                xs={xs}
                band={ratioToTruth(band)!}
                log={log}
                xLabel={predictions.xLabel ?? "x"}
                ratio
              />
            ) : null}
          </div>
        ))}
      </div>
      <Legend
        items={[
          { name: "ensemble mean", colour: colour(0) },
          { name: "band: mean ± 1σ over the ensemble's members", colour: colour(0), area: true },
          ...(replicas
            ? [{ name: `replica curves (${replicas} stored of the ensemble's members)`, colour: colour(1) }]
            : []),
          ...(hasTruth
            ? [{ name: "truth (closure test); ratio panels divide by it", colour: colour(2), dashed: true }]
            : []),
        ]}
      />
    </div>
  );
}

function FlavourChart({
  xs,
  band,
  log,
  xLabel,
  ratio = false,
}: {
  xs: number[];
  band: StoredBand;
  log: boolean;
  xLabel: string;
  ratio?: boolean;
}) {
  const [chartWidth, measure] = useChartWidth(360);
  const b = box(chartWidth, ratio ? 150 : 220, 50);
  const x = scale([Math.min(...xs), Math.max(...xs)], xRange(b), log);
  // Replica curves on the main panel only: near a zero of the truth a replica's ratio runs wild and
  // would set the ratio panel's range.
  const curves = ratio ? [] : (band.replicas ?? []);
  const y = scale(extent([...band.lower, ...band.upper, ...(band.truth ?? []), ...curves.flat()]), yRange(b));
  const line = (vs: number[]) => {
    let d = "";
    let pen = false;
    vs.forEach((v, i) => {
      if (!Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${x(xs[i]!)},${y(v)} `;
      pen = true;
    });
    return d;
  };
  const area = xs
    .map((_, i) => i)
    .filter((i) => Number.isFinite(band.lower[i]!) && Number.isFinite(band.upper[i]!));
  const areaPath = area.length
    ? `${area.map((i, k) => `${k ? "L" : "M"}${x(xs[i]!)},${y(band.upper[i]!)}`).join(" ")} ${[...area]
        .reverse()
        .map((i) => `L${x(xs[i]!)},${y(band.lower[i]!)}`)
        .join(" ")} Z`
    : "";
  const title = band.name;
  return (
    <Frame
      measure={measure}
      b={b}
      x={x}
      y={y}
      xLabel={log ? `${xLabel} (log)` : xLabel}
      yLabel={ratio ? "ratio to truth" : band.name}
      label={ratio ? `Ratio to truth of ${title}` : `Ensemble prediction for ${title} with replica curves`}
    >
      <g>
        {curves.map((c, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: replica curves are positional
          <path key={i} d={line(c)} fill="none" stroke={colour(1)} strokeOpacity={0.35} strokeWidth={0.8} />
        ))}
      </g>
      <path d={areaPath} fill={colour(0)} fillOpacity={0.2} />
      <path d={line(band.mean)} fill="none" stroke={colour(0)} strokeWidth={2} />
      {band.truth ? (
        <path d={line(band.truth)} fill="none" stroke={colour(2)} strokeWidth={1.5} strokeDasharray="5 3" />
      ) : null}
    </Frame>
  );
}
