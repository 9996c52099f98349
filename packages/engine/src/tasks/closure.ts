import { BlockMatrix } from "../data/covariance.ts";
import { buildDataset, type DatasetJson } from "../data/dataset.ts";
import { deriveSeed, Stream, TrialRng } from "../rng.ts";
import { standardise, type Task } from "./task.ts";

/**
 * The built-in proton-structure closure task (METHOD.md §5): PDF-like truth functions on an x-grid,
 * observables through a fixed FK-like smearing map, sub-datasets with overlapping x-windows and a
 * correlated covariance (statistical diagonal plus a normalisation block per sub-dataset).
 */
export const closureFlavours = [
  { name: "valence", A: 1.6, a: 0.55, b: 3.2, c: 1.0 },
  { name: "sea", A: 0.9, a: 0.3, b: 4.5, c: 2.0 },
  { name: "gluon", A: 1.2, a: 0.8, b: 2.5, c: -0.5 },
] as const;

/** The network's inputs at x: x and ln x (standardised over the grid by the task). */
const closureFeatures = (x: number): number[] => [x, Math.log(x)];

/** The closure task's network shape (compute limits count its parameters before any task is built). */
export const closureModelShape = {
  inputDim: closureFeatures(0.5).length,
  outputDim: closureFlavours.length,
  preprocessing: true,
} as const;

/**
 * Sub-datasets: x-window in log10 x and point count; the two edge ones are always fitted. Each
 * sub-dataset measures three observable types (flavour mixtures) in turn, so every window constrains
 * every flavour and a held-out sub-dataset tests interpolation, not an unconstrained direction.
 */
const experiments = [
  { name: "DIS_LOWX", lo: -3, hi: -1.6, n: 24 },
  { name: "DIS_NC", lo: -2.6, hi: -1.1, n: 30 },
  { name: "DIS_CC", lo: -2.1, hi: -0.7, n: 22 },
  { name: "DY_LOW", lo: -1.7, hi: -0.45, n: 28 },
  { name: "DY_HIGH", lo: -1.3, hi: -0.3, n: 26 },
  { name: "JETS", lo: -1.1, hi: -0.2, n: 24 },
  { name: "TOP", lo: -0.8, hi: -0.12, n: 20 },
  { name: "FT_HIGHX", lo: -0.55, hi: -0.06, n: 24 },
];
const mixtures = [
  [1, 0.3, 0.2],
  [0.2, 1, 0.3],
  [0.3, 0.2, 1],
];

const kernelWidth = 0.12; // in log10 x
const statRel = 0.015;
const statAbs = 0.002;
const normalisation = 0.03;

export function closureGrid(): number[] {
  const g: number[] = [];
  for (let i = 0; i < 25; i++) g.push(10 ** (-3 + (2 * i) / 25)); // 1e-3 .. <0.1, log-spaced
  for (let i = 0; i < 25; i++) g.push(0.1 + (0.8 * i) / 24); // 0.1 .. 0.9, linear
  return g;
}

export function truthPdf(flavour: number, x: number): number {
  const f = closureFlavours[flavour]!;
  return f.A * x ** f.a * (1 - x) ** f.b * (1 + f.c * Math.sqrt(x));
}

export function buildClosureTask(level: 0 | 1 | 2, seed: number): Task {
  const grid = closureGrid();
  const G = grid.length;
  const F = closureFlavours.length;
  const lg = grid.map((x) => Math.log10(x));
  const fk: number[][] = [];
  const subsets: DatasetJson["subsets"] = [];
  const truthGrid = grid.map((x) => closureFlavours.map((_, f) => truthPdf(f, x)));
  const truthAll: number[] = [];
  const subsetOf: number[] = [];
  experiments.forEach((e, ei) => {
    const inputs: number[][] = [];
    const truth: number[] = [];
    for (let p = 0; p < e.n; p++) {
      const lc = e.lo + ((e.hi - e.lo) * p) / (e.n - 1);
      const kern = lg.map((l) => Math.exp(-0.5 * ((l - lc) / kernelWidth) ** 2));
      const norm = kern.reduce((a, b) => a + b, 0);
      const w = mixtures[(p + ei) % mixtures.length]!;
      const wsum = w.reduce((a, b) => a + b, 0);
      const row = new Array<number>(G * F).fill(0);
      let t = 0;
      for (let g = 0; g < G; g++)
        for (let f = 0; f < F; f++) {
          const v = (kern[g]! / norm) * (w[f]! / wsum);
          row[g * F + f] = v;
          t += v * truthGrid[g]![f]!;
        }
      fk.push(row);
      inputs.push([10 ** lc]);
      truth.push(t);
      truthAll.push(t);
      subsetOf.push(ei);
    }
    subsets.push({
      name: e.name,
      alwaysFitted: ei === 0 || ei === experiments.length - 1,
      inputs,
      values: truth,
      truth,
    });
  });
  // Covariance from the truth (a t0-like prescription), so that it does not depend on the noise.
  const n = truthAll.length;
  const cov = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const s = statRel * truthAll[i]! + statAbs;
    cov[i]![i]! += s * s;
    for (let j = 0; j < n; j++)
      if (subsetOf[i] === subsetOf[j]) cov[i]![j]! += normalisation ** 2 * truthAll[i]! * truthAll[j]!;
  }
  if (level >= 1) {
    // Level 1: one fixed noise shift of the data, D = T_true + L z.
    const l = BlockMatrix.fromDense({ n, row: (i) => cov[i]! }).factor();
    const rng = new TrialRng(deriveSeed(seed, Stream.levelOneNoise));
    const z = Array.from({ length: n }, () => rng.normal());
    const shift = l.lowerTimes(z);
    let i0 = 0;
    for (const s of subsets) {
      s.values = s.values.map((t, a) => t + shift[i0 + a]!);
      i0 += s.values.length;
    }
  }
  const dataset = buildDataset({
    name: `closure-L${level}`,
    inputNames: ["x"],
    nOutputs: F,
    subsets,
    covariance: cov,
  });
  return {
    kind: "closure",
    dataset,
    modelInputs: standardise(grid.map(closureFeatures)),
    nOutputs: F,
    outputNames: closureFlavours.map((f) => f.name),
    head: { kind: "fk", fk: Float64Array.from(fk.flat()) },
    // Fixed, common exponents: the network must learn each flavour's shape beyond x^α (1−x)^β, so an
    // under-sized model underfits visibly (with fitted exponents a 2-unit network fits this truth).
    preprocessing: {
      x: Float64Array.from(grid),
      alphaInit: [0.55, 0.55],
      betaInit: [3.4, 3.4],
      trainable: false,
    },
    pseudoData: level === 2,
    plot: { x: grid, truth: truthGrid, xLabel: "x" },
    closureLevel: level,
  };
}
