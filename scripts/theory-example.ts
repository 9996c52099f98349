// The example theory of docs/method.md: a synthetic DIS-like theory (engine tasks/theorySynthetic.ts),
// deterministic in its options, written as one JSON (theory.json) and as JSON fields plus NumPy
// arrays (theory-meta.json + theory.npz), the two upload forms of `hens dataset upload --theory`.
//   npx tsx scripts/theory-example.ts [--out DIR] [--level 0|1|2] [--seed N] [--subsets N]
//                                     [--points N] [--grid N]
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { syntheticTheory, writeNpz } from "@hyperensemble/engine";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "theory-example" },
    level: { type: "string", default: "2" },
    seed: { type: "string", default: "1" },
    subsets: { type: "string", default: "6" },
    points: { type: "string", default: "20" },
    grid: { type: "string", default: "40" },
  },
});
const int = (name: keyof typeof values) => {
  const v = Number(values[name]);
  if (!Number.isSafeInteger(v) || v < 0)
    throw new Error(`--${name} must be a whole number (got ${values[name]})`);
  return v;
};
const level = int("level");
if (level > 2) throw new Error("--level must be 0, 1 or 2");
const theory = syntheticTheory({
  level: level as 0 | 1 | 2,
  seed: int("seed"),
  subsets: int("subsets"),
  pointsPerSubset: int("points"),
  gridPoints: int("grid"),
});

const { grid, subsets, positivity, truthOutputs, ...rest } = theory;
const G = grid.length;
const F = theory.nOutputs;
const arrays: Record<string, { shape: number[]; data: number[] }> = {
  grid: { shape: [G, grid[0]!.length], data: grid.flat() },
  truthOutputs: { shape: [G, F], data: truthOutputs!.flat() },
};
subsets.forEach((s, i) => {
  arrays[`subsets/${i}/fk`] = { shape: [s.values.length, G, F], data: (s.fk as number[][]).flat() };
  for (const f of ["values", "stat", "truth", "kinematics"] as const)
    if (s[f]) arrays[`subsets/${i}/${f}`] = { shape: [s.values.length], data: s[f] };
});
(positivity ?? []).forEach((p, j) => {
  arrays[`positivity/${j}/fk`] = { shape: [p.fk.length, G, F], data: (p.fk as number[][]).flat() };
});
const meta = {
  ...rest,
  subsets: subsets.map((s) => ({
    name: s.name,
    alwaysFitted: s.alwaysFitted,
    normalisation: s.normalisation,
  })),
  positivity: (positivity ?? []).map((p) => ({ name: p.name })),
};

const out = values.out!;
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, "theory.json"), JSON.stringify(theory));
writeFileSync(path.join(out, "theory-meta.json"), JSON.stringify(meta, null, 2));
writeFileSync(path.join(out, "theory.npz"), writeNpz(arrays));
const points = subsets.reduce((n, s) => n + s.values.length, 0);
console.log(
  `${out}: ${theory.name}, ${points} points in ${subsets.length} sub-datasets, grid ${G} × ${grid[0]!.length}, ${F} outputs`,
);
