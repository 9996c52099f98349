import type { SubsetChi2 } from "@hyperensemble/engine/physics";
import { box, colour, Frame, Legend, NoData, scale, useChartWidth, xRange, yRange } from "../charts/frame";
import { fmt } from "../ui";
import { pooledChi2 } from "./physics-math";

/**
 * χ²/N per sub-dataset, fitted (training) and held out: a table with both estimators and bars of the
 * central prediction's χ²/N, with the line at 1 that faithful errors give.
 */
export function SubsetChi2Panel({ rows }: { rows: SubsetChi2[] | undefined }) {
  if (!rows?.length)
    return <NoData>No per-sub-dataset χ²/N in this result (trials trained before it was recorded).</NoData>;
  const heldOut = rows.some((r) => r.heldOut);
  return (
    <div className="space-y-2" data-testid="subset-chi2">
      <SubsetBars rows={rows} />
      <div className="overflow-x-auto">
        <table className="w-full text-sm">
          <caption className="sr-only">χ²/N per sub-dataset, training and held-out</caption>
          <thead>
            <tr className="text-left">
              <th scope="col" className="pr-3">
                Sub-dataset
              </th>
              <th scope="col" className="pr-3 text-right">
                N
              </th>
              <th scope="col" className="pr-3 text-right">
                training χ²[⟨T⟩]/N
              </th>
              <th scope="col" className="pr-3 text-right">
                training ⟨χ²⟩/N
              </th>
              <th scope="col" className="pr-3 text-right">
                held-out χ²[⟨T⟩]/N
              </th>
              <th scope="col" className="text-right">
                held-out ⟨χ²⟩/N
              </th>
            </tr>
          </thead>
          <tbody className="font-mono">
            {rows.map((r) => (
              <tr key={r.name} className="border-t border-slate-100 dark:border-slate-800">
                <th scope="row" className="pr-3 text-left font-sans font-normal">
                  {r.name}
                </th>
                <td className="pr-3 text-right">{r.points}</td>
                <td className="pr-3 text-right">{fmt(r.training?.central, 3)}</td>
                <td className="pr-3 text-right">{fmt(r.training?.replica, 3)}</td>
                <td className="pr-3 text-right">{r.heldOut ? fmt(r.heldOut.central, 3) : "–"}</td>
                <td className="text-right">{r.heldOut ? fmt(r.heldOut.replica, 3) : "–"}</td>
              </tr>
            ))}
            <tr className="border-t border-slate-300 dark:border-slate-600">
              <th scope="row" className="pr-3 text-left font-sans">
                all
              </th>
              <td className="pr-3 text-right">{rows.reduce((a, r) => a + r.points, 0)}</td>
              <td className="pr-3 text-right">{fmt(pooledChi2(rows, "training", "central"), 3)}</td>
              <td className="pr-3 text-right">{fmt(pooledChi2(rows, "training", "replica"), 3)}</td>
              <td className="pr-3 text-right">{fmt(pooledChi2(rows, "heldOut", "central"), 3)}</td>
              <td className="text-right">{fmt(pooledChi2(rows, "heldOut", "replica"), 3)}</td>
            </tr>
          </tbody>
        </table>
      </div>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        Each sub-dataset through its own covariance block, against the central data. χ²[⟨T⟩]/N: the
        ensemble&apos;s central prediction; ⟨χ²⟩/N: the mean over replicas. Training: averaged over the folds
        that fitted it (all its points); held-out: the fold that left it out
        {heldOut ? "" : " (none here: one fold, or every sub-dataset always fitted)"}. “all” pools the
        sub-datasets weighted by points.
      </p>
    </div>
  );
}

function SubsetBars({ rows }: { rows: SubsetChi2[] }) {
  const [chartWidth, measure] = useChartWidth(560);
  const b = box(chartWidth, 60 + rows.length * 22, 110, 30);
  const values = rows.flatMap((r) => [r.training?.central ?? 0, r.heldOut?.central ?? 0]);
  const x = scale([0, Math.max(1.2, ...values) * 1.05], xRange(b));
  const band = (b.height - b.top - b.bottom) / rows.length;
  // The Frame's y axis carries no ticks: sub-datasets are named beside their bars.
  const y = scale([0, 1], yRange(b));
  y.ticks = [];
  return (
    <>
      <Frame
        measure={measure}
        b={b}
        x={x}
        y={y}
        xLabel="χ²/N of the central prediction"
        yLabel=""
        label="χ²/N per sub-dataset, training and held-out"
        testId="subset-chi2-bars"
      >
        {rows.map((r, i) => {
          const top = b.top + i * band;
          return (
            <g key={r.name}>
              <text x={b.left - 4} y={top + band / 2 + 3} fontSize={10} textAnchor="end" fill="currentColor">
                {r.name.length > 16 ? `${r.name.slice(0, 15)}…` : r.name}
              </text>
              {r.training ? (
                <rect
                  x={x(0)}
                  y={top + 2}
                  width={Math.max(0, x(r.training.central) - x(0))}
                  height={band / 2 - 2}
                  fill={colour(0)}
                >
                  <title>{`${r.name} training χ²/N ${fmt(r.training.central, 3)}`}</title>
                </rect>
              ) : null}
              {r.heldOut ? (
                <rect
                  x={x(0)}
                  y={top + band / 2}
                  width={Math.max(0, x(r.heldOut.central) - x(0))}
                  height={band / 2 - 2}
                  fill={colour(2)}
                >
                  <title>{`${r.name} held-out χ²/N ${fmt(r.heldOut.central, 3)}`}</title>
                </rect>
              ) : null}
            </g>
          );
        })}
        <line
          x1={x(1)}
          x2={x(1)}
          y1={b.top}
          y2={b.height - b.bottom}
          stroke="currentColor"
          strokeDasharray="4 3"
          strokeOpacity={0.6}
        />
      </Frame>
      <Legend
        items={[
          { name: "training (fitted folds)", colour: colour(0) },
          { name: "held-out fold", colour: colour(2) },
          { name: "χ²/N = 1", colour: "currentColor", dashed: true },
        ]}
      />
    </>
  );
}
