import { deriveSeed, Stream, TrialRng } from "../rng.ts";
import type { TheorySource } from "./theory.ts";

/**
 * A synthetic DIS-like theory, deterministic in its options: three PDF-like flavours f(x) on an
 * x-grid, structure-function-like observables F(x_i) = Σ_g K(x_i, x_g) Σ_f c_f x_g f(x_g) (a
 * normalised smearing kernel in ln x and flavour "charges" c that vary along each sub-dataset, so
 * every window constrains every flavour), statistical and normalisation uncertainties, the truth on
 * the grid and on the observables, and positivity observables x·f_f at a few x. The example theory
 * of docs/method.md, the tests' uploads and bench:fit come from here (scripts/theory-example.ts).
 */
export interface SyntheticTheoryOptions {
  /** Sub-datasets (x-windows from small to large x); the two edge ones are always fitted. */
  subsets?: number;
  pointsPerSubset?: number;
  gridPoints?: number;
  /** 0: data = truth; 1 and 2: one seeded noise shift of the data (2 also fits pseudo-data replicas). */
  level?: 0 | 1 | 2;
  seed?: number;
}

export const syntheticFlavours = [
  { name: "valence", A: 1.6, a: 0.55, b: 3.2, c: 1.0, charge: [1, 0.3, 0.2] },
  { name: "sea", A: 0.9, a: 0.3, b: 4.5, c: 2.0, charge: [0.2, 1, 0.3] },
  { name: "gluon", A: 1.2, a: 0.8, b: 2.5, c: -0.5, charge: [0.3, 0.2, 1] },
] as const;

/** f_f(x): x·f has the shape A x^a (1−x)^b (1 + c √x). */
export function syntheticPdf(flavour: number, x: number): number {
  const f = syntheticFlavours[flavour]!;
  return f.A * x ** (f.a - 1) * (1 - x) ** f.b * (1 + f.c * Math.sqrt(x));
}

export function syntheticGrid(points = 40): number[] {
  const low = Math.ceil(points / 2);
  const high = points - low;
  const g: number[] = [];
  for (let i = 0; i < low; i++) g.push(10 ** (-3 + (2 * i) / low)); // 1e-3 .. <0.1, log-spaced
  for (let i = 0; i < high; i++) g.push(0.1 + (0.8 * i) / Math.max(1, high - 1)); // 0.1 .. 0.9
  return g;
}

const statRel = 0.015;
const statAbs = 0.002;
const normalisation = 0.02;
const kernelWidth = 0.12; // in log10 x

export function syntheticTheory(opts: SyntheticTheoryOptions = {}): TheorySource {
  const nSub = opts.subsets ?? 6;
  const nPer = opts.pointsPerSubset ?? 20;
  const level = opts.level ?? 0;
  const seed = opts.seed ?? 1;
  const grid = syntheticGrid(opts.gridPoints ?? 40);
  const G = grid.length;
  const F = syntheticFlavours.length;
  const lg = grid.map((x) => Math.log10(x));
  const truthOutputs = grid.map((x) => syntheticFlavours.map((_, f) => syntheticPdf(f, x)));
  const rng = new TrialRng(deriveSeed(seed, Stream.levelOneNoise));
  const subsets = Array.from({ length: nSub }, (_, si) => {
    // windows overlapping by half, spanning log10 x from −2.9 to −0.1
    const width = 2.8 / ((nSub + 1) / 2);
    const lo = -2.9 + (si * width) / 2;
    const hi = lo + width;
    const fk: number[][] = [];
    const truth: number[] = [];
    const kinematics: number[] = [];
    for (let p = 0; p < nPer; p++) {
      const lc = lo + ((hi - lo) * p) / Math.max(1, nPer - 1);
      const kern = lg.map((l) => Math.exp(-0.5 * ((l - lc) / kernelWidth) ** 2));
      const norm = kern.reduce((a, b) => a + b, 0);
      const c = syntheticFlavours[(p + si) % F]!.charge;
      const csum = c.reduce((a, b) => a + b, 0);
      const row = new Array<number>(G * F).fill(0);
      let t = 0;
      for (let g = 0; g < G; g++)
        for (let f = 0; f < F; f++) {
          const v = ((kern[g]! / norm) * c[f]! * grid[g]!) / csum;
          row[g * F + f] = v;
          t += v * truthOutputs[g]![f]!;
        }
      fk.push(row);
      truth.push(t);
      kinematics.push(10 ** lc);
    }
    const stat = truth.map((t) => statRel * t + statAbs);
    let values = truth;
    if (level >= 1) {
      // one draw from C = diag(stat²) + ε² T Tᵀ: independent stat shifts plus one normalisation shift
      const zn = rng.normal();
      values = truth.map((t, i) => t + stat[i]! * rng.normal() + normalisation * t * zn);
    }
    return {
      name: `DIS_${si + 1}`,
      alwaysFitted: si === 0 || si === nSub - 1,
      fk,
      values,
      stat,
      normalisation,
      truth,
      kinematics,
    };
  });
  // positivity: x·f_f at five x values per flavour (each an FK row selecting one grid point)
  const posRows = [0.001, 0.01, 0.1, 0.3, 0.6].map((x) =>
    grid.reduce((best, v, g) => (Math.abs(v - x) < Math.abs(grid[best]! - x) ? g : best), 0),
  );
  const positivity = syntheticFlavours.map((fl, f) => ({
    name: `POS_${fl.name}`,
    fk: posRows.map((g) => {
      const row = new Array<number>(G * F).fill(0);
      row[g * F + f] = grid[g]!;
      return row;
    }),
  }));
  return {
    format: "theory",
    name: `synthetic-dis-L${level}`,
    featureNames: ["x", "ln x"],
    grid: grid.map((x) => [x, Math.log(x)]),
    xFeature: 0,
    nOutputs: F,
    outputNames: syntheticFlavours.map((f) => f.name),
    subsets,
    // f ~ x^(a−1) (1−x)^b: initial exponents sampled per replica over the flavours' powers, then fitted (NNPDF 4.0)
    preprocessing: { alpha: [-0.7, -0.2], beta: [2.5, 4.5], trainable: true },
    positivity,
    truthOutputs,
    pseudoData: level === 2,
    centralReplica: false,
  };
}
