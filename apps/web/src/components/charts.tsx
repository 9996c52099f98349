// Small dependency-free SVG charts; values are plotted as given, axes scale to the data.

export function HistoryChart({
  points,
  width = 640,
  height = 200,
}: {
  points: { x: number; y: number }[];
  width?: number;
  height?: number;
}) {
  if (points.length === 0) return <p className="text-sm text-slate-500">No completed trials yet.</p>;
  const pad = 36;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys, Math.min(...ys) * 1.001 + 1e-9)];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0)) * (width - 2 * pad);
  const sy = (y: number) => height - pad - ((y - y0) / (y1 - y0)) * (height - 2 * pad);
  const sorted = [...points].sort((a, b) => a.x - b.x);
  let best = Number.POSITIVE_INFINITY;
  const bestPath = sorted
    .map((p, i) => {
      best = Math.min(best, p.y);
      return `${i === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(best).toFixed(1)}`;
    })
    .join(" ");
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      className="w-full"
      role="img"
      aria-label="Objective value per trial with best so far"
    >
      <line
        x1={pad}
        y1={height - pad}
        x2={width - pad}
        y2={height - pad}
        stroke="currentColor"
        strokeOpacity={0.3}
      />
      <line x1={pad} y1={pad} x2={pad} y2={height - pad} stroke="currentColor" strokeOpacity={0.3} />
      <text x={pad} y={pad - 8} fontSize={10} fill="currentColor">
        {y1.toPrecision(3)}
      </text>
      <text x={pad} y={height - pad + 14} fontSize={10} fill="currentColor">
        {y0.toPrecision(3)}
      </text>
      <text x={width - pad} y={height - pad + 14} fontSize={10} textAnchor="end" fill="currentColor">
        trial
      </text>
      <path d={bestPath} fill="none" stroke="#4f46e5" strokeWidth={2} />
      {points.map((p) => (
        <circle key={p.x} cx={sx(p.x)} cy={sy(p.y)} r={3.5} fill="#0ea5e9">
          <title>{`#${p.x}: ${p.y}`}</title>
        </circle>
      ))}
    </svg>
  );
}
