"use client";

import { ExportableChart } from "../charts/exportable";
import { Card, fmt } from "../ui";

export interface ParetoPoint {
  number: number;
  L1: number;
  phi2: number;
}

const W = 320;
const H = 180;
const PAD = 28;

/**
 * A multi-objective study's Pareto front (L1 minimised against phi2 maximised): the trials no other
 * trial beats on both, as a small scatter joined in L1 order and a table.
 */
export function ParetoFront({ points }: { points: ParetoPoint[] }) {
  const sorted = [...points].sort((a, b) => a.L1 - b.L1);
  const finite = sorted.filter((p) => Number.isFinite(p.L1) && Number.isFinite(p.phi2));
  const [x0, x1] = extent(finite.map((p) => p.L1));
  const [y0, y1] = extent(finite.map((p) => p.phi2));
  const x = (v: number) => PAD + ((v - x0) / (x1 - x0 || 1)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD - ((v - y0) / (y1 - y0 || 1)) * (H - 2 * PAD);
  return (
    <Card title={`Pareto front: L1 (min) vs φ² (max), ${points.length} trials`} testId="pareto-front">
      {finite.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">needs a completed trial</p>
      ) : (
        <div className="flex flex-wrap gap-6">
          <ExportableChart label="Pareto front">
            <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="Pareto front">
              <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} className="stroke-slate-400" />
              <line x1={PAD} y1={PAD} x2={PAD} y2={H - PAD} className="stroke-slate-400" />
              <text x={W / 2} y={H - 6} textAnchor="middle" className="fill-current text-[10px]">
                L1
              </text>
              <text x={8} y={H / 2} textAnchor="middle" className="fill-current text-[10px]">
                φ²
              </text>
              <polyline
                points={finite.map((p) => `${x(p.L1)},${y(p.phi2)}`).join(" ")}
                className="fill-none stroke-sky-600"
              />
              {finite.map((p) => (
                <circle key={p.number} cx={x(p.L1)} cy={y(p.phi2)} r={3.5} className="fill-sky-600">
                  <title>{`#${p.number}: L1 ${fmt(p.L1)}, φ² ${fmt(p.phi2)}`}</title>
                </circle>
              ))}
            </svg>
          </ExportableChart>
          <table className="text-sm">
            <thead>
              <tr>
                <th className="pr-3 text-left">Trial</th>
                <th className="pr-3 text-right">L1</th>
                <th className="text-right">φ²</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((p) => (
                <tr key={p.number}>
                  <td className="pr-3">#{p.number}</td>
                  <td className="pr-3 text-right">{fmt(p.L1)}</td>
                  <td className="text-right">{fmt(p.phi2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function extent(values: number[]): [number, number] {
  return values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
}
