import type { Dataset } from "../data/dataset.ts";

/**
 * A task is what a trial fits: a dataset plus how the model's outputs become predictions.
 * The model is evaluated on `modelInputs` (G rows), giving G × F outputs per replica; the head maps
 * those G·F numbers (index g·F + f) to the N data points.
 */
export type Head =
  /** T = FK · vec(f(grid)); fk is row-major N × (G·F). */
  | { kind: "fk"; fk: Float64Array }
  /** T_i = output[index_i] (tabular: point i is output f of row g). */
  | { kind: "select"; index: Int32Array };

export interface Task {
  kind: "closure" | "tabular" | "theory";
  dataset: Dataset;
  /** Model input rows, already standardised. */
  modelInputs: number[][];
  /** How raw feature rows were standardised (theory task: exported weights evaluate new rows with it). */
  inputScaling?: { mean: number[]; sd: number[] };
  nOutputs: number;
  outputNames: string[];
  head: Head;
  /** Multiply outputs by x^α (1−x)^β (α, β trained per replica and output); needs x per row. */
  preprocessing?: {
    x: Float64Array;
    alphaInit: [number, number];
    betaInit: [number, number];
    /** Fit α, β (NNPDF 4.0) or keep them at their initial values. */
    trainable: boolean;
  };
  /** Fresh Monte-Carlo pseudo-data per replica (level-2 closure, real fits). */
  pseudoData: boolean;
  /** Replica 0 fits the central data itself, the others pseudo-data (theory task, NNPDF's central fit). */
  centralReplica?: boolean;
  /** Positivity observables (theory task), their own FK maps [n][G·F]; checked on the host after a fit. */
  positivityObservables?: { name: string; n: number; fk: Float64Array }[];
  /** For plots: abscissa per model row and, in closure tests, the true outputs (G × F). */
  plot: { x: number[]; truth?: number[][]; xLabel: string };
  closureLevel?: 0 | 1 | 2;
}

/** Each column's mean and standard deviation (1 for a constant column, which is centred only). */
export function standardisation(rows: number[][]): { mean: number[]; sd: number[] } {
  const d = rows[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const r of rows)
    r.forEach((v, j) => {
      mean[j]! += v / rows.length;
    });
  for (const r of rows)
    r.forEach((v, j) => {
      sd[j]! += (v - mean[j]!) ** 2 / rows.length;
    });
  return { mean, sd: sd.map((v) => Math.sqrt(v) || 1) };
}

/** Standardise each column to mean 0, standard deviation 1 (constant columns are centred only). */
export function standardise(rows: number[][]): number[][] {
  const { mean, sd } = standardisation(rows);
  return rows.map((r) => r.map((v, j) => (v - mean[j]!) / sd[j]!));
}
