/**
 * The empirical distribution function of a sample: F(x) = #{v ≤ x} / n, as the x where it steps and
 * its value just after. Non-finite values are left out (n counts only finite ones); ties make one step.
 */
export function edfSteps(values: readonly number[]): { x: number; p: number }[] {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  const steps: { x: number; p: number }[] = [];
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    if (i + 1 < n && sorted[i + 1] === v) continue;
    steps.push({ x: v, p: (i + 1) / n });
  }
  return steps;
}

/** The step function as SVG path commands: flat at 0 before the first value, vertical risers, to `xEnd`. */
export function edfPath(
  steps: readonly { x: number; p: number }[],
  sx: (v: number) => number,
  sy: (p: number) => number,
  xStart: number,
  xEnd: number,
): string {
  if (steps.length === 0) return "";
  let d = `M${sx(xStart)},${sy(0)}`;
  let prev = 0;
  for (const s of steps) {
    d += ` L${sx(s.x)},${sy(prev)} L${sx(s.x)},${sy(s.p)}`;
    prev = s.p;
  }
  return `${d} L${sx(xEnd)},${sy(prev)}`;
}
