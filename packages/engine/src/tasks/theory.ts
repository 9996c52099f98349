import { z } from "zod";
import {
  buildDataset,
  type Dataset,
  DatasetError,
  type DatasetJson,
  formatZodError,
} from "../data/dataset.ts";
import { DatasetLimitError, type DatasetLimits, DEFAULT_DATASET_LIMITS } from "../data/limits.ts";
import { buildDatasetOffThread } from "../data/validate.ts";
import { standardisation, standardise, type Task } from "./task.ts";

/**
 * The theory task: a user's own theory, as in an NNPDF fit. The model is evaluated on an input grid
 * (G rows of D features, e.g. [x, ln x]) giving F outputs per row (flavours); each sub-dataset's
 * observables are a linear map of those outputs, T = FK · vec(f(grid)), FK [N_i][G·F] with index
 * g·F + f (the kernels' `fk` head). Uncertainties as in the dataset JSON format (stat, correlated
 * systematics, normalisation per sub-dataset, or one full covariance), built by data/dataset.ts.
 *
 * What the kernel contract (kernel/kernel.ts) allows, and so what this task offers:
 * - preprocessing x^α (1−x)^β with α, β fixed or trained, their initial values sampled per replica
 *   from one range shared by every output (the architecture's `alphaInit`/`betaInit`);
 * - positivity: the kernels' penalty is λ Σ relu(−f) on the model outputs on the grid, λ the
 *   `positivity_lambda` hyperparameter. Positivity observables with their own FK maps are kept with
 *   the task and checked on the host (`positivityViolations`, used by post-fit selection): the loss
 *   has no term for them. A non-negative FK map of a positive f is positive, so for such maps the
 *   grid penalty is the sufficient condition NNPDF's penalty approximates;
 * - integrability (a penalty on x·f(x) at small x) is not a term of the kernels' loss, which is
 *   χ² plus the grid positivity penalty only; it is checked on the host (`integrabilityViolations`)
 *   and, with preprocessing, implied by α > 0 for x·f (α > −1 for f);
 * - quadratic (hadronic) observables, T = Σ FK_{ab} f_a f_b, are not possible: the head is one
 *   matrix applied to vec(f), and the kernels' gradient of the head is that matrix's transpose.
 */
const finite = z.number().refine(Number.isFinite, "must be a finite number");
const range = z
  .tuple([finite, finite])
  .refine(([lo, hi]) => lo <= hi, "the range's low end must not exceed its high end");

const theorySubsetSchema = z.object({
  name: z.string().min(1),
  alwaysFitted: z.boolean().optional(),
  /** FK map [N_i][G·F] (checked and packed by `packFk`, not by the schema: it is the bulk of the upload). */
  fk: z.array(z.unknown()).min(1),
  values: z.array(finite).min(1),
  stat: z.array(finite.refine((v) => v > 0, "must be > 0")).optional(),
  sys: z.array(z.array(finite)).optional(),
  normalisation: finite.refine((v) => v >= 0, "must be >= 0").optional(),
  /** Known truth of the observables (closure data). */
  truth: z.array(finite).optional(),
  /** One kinematic value per point (for plots; default: the point's index). */
  kinematics: z.array(finite).optional(),
});

export const theorySourceSchema = z.object({
  format: z.literal("theory"),
  name: z.string().min(1).default("theory"),
  featureNames: z.array(z.string()).optional(),
  /** The model's input rows (G × D, raw: standardised by the task). */
  grid: z.array(z.array(finite).min(1)).min(1),
  /** Which feature is x ∈ (0, 1) (preprocessing, plots, LHAPDF export). */
  xFeature: z.number().int().min(0).default(0),
  nOutputs: z.number().int().min(1),
  outputNames: z.array(z.string().min(1)).optional(),
  subsets: z.array(theorySubsetSchema).min(1),
  covariance: z.array(z.array(finite)).optional(),
  /** x^α (1−x)^β: initial exponents sampled per replica from these ranges; trained or kept fixed. */
  preprocessing: z.object({ alpha: range, beta: range, trainable: z.boolean().default(false) }).optional(),
  positivity: z.array(z.object({ name: z.string().min(1), fk: z.array(z.unknown()).min(1) })).optional(),
  /** The true outputs on the grid (G × F), for closure plots and estimators. */
  truthOutputs: z.array(z.array(finite)).optional(),
  /** Fresh Monte-Carlo pseudo-data per replica (default true, as in a real fit). */
  pseudoData: z.boolean().default(true),
  /** Replica 0 is fitted to the central data itself (NNPDF's replica 0 fit). */
  centralReplica: z.boolean().default(false),
});
export type TheorySource = z.input<typeof theorySourceSchema>;
export type ParsedTheorySource = z.output<typeof theorySourceSchema>;

/** Whether an uploaded dataset's JSON is a theory (the runner and the platform dispatch on it). */
export function isTheorySource(json: unknown): boolean {
  return typeof json === "object" && json !== null && (json as { format?: unknown }).format === "theory";
}

const lengthOf = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/** The theory limits on the raw JSON (counts only), before it is parsed. Throws DatasetLimitError. */
export function checkTheoryLimits(json: unknown, limits: DatasetLimits = DEFAULT_DATASET_LIMITS): void {
  if (typeof json !== "object" || json === null) return;
  const src = json as Record<string, unknown>;
  const G = lengthOf(src.grid);
  if (G > limits.maxGridPoints)
    throw new DatasetLimitError(["grid"], `${G} grid rows, at most ${limits.maxGridPoints}`, "maxGridPoints");
  if (typeof src.nOutputs === "number" && src.nOutputs > limits.maxTheoryOutputs)
    throw new DatasetLimitError(
      ["nOutputs"],
      `${src.nOutputs} outputs, at most ${limits.maxTheoryOutputs}`,
      "maxTheoryOutputs",
    );
  const subsets = Array.isArray(src.subsets) ? src.subsets : [];
  if (subsets.length > limits.maxTheorySubsets)
    throw new DatasetLimitError(
      ["subsets"],
      `${subsets.length} sub-datasets, at most ${limits.maxTheorySubsets}`,
      "maxTheorySubsets",
    );
  let points = 0;
  subsets.forEach((s, si) => {
    const n = Math.max(lengthOf((s as { values?: unknown })?.values), lengthOf((s as { fk?: unknown })?.fk));
    points += n;
    if (points > limits.maxTheoryPoints)
      throw new DatasetLimitError(
        ["subsets", si],
        `more than ${limits.maxTheoryPoints} points (the limit) in the first ${si + 1} sub-datasets`,
        "maxTheoryPoints",
      );
  });
  const positivity = Array.isArray(src.positivity) ? src.positivity : [];
  let positive = 0;
  positivity.forEach((p, pi) => {
    positive += lengthOf((p as { fk?: unknown })?.fk);
    if (positive > limits.maxPositivityPoints)
      throw new DatasetLimitError(
        ["positivity", pi, "fk"],
        `more than ${limits.maxPositivityPoints} positivity points (the limit)`,
        "maxPositivityPoints",
      );
  });
}

/**
 * Rows of an FK map into one row-major Float64Array, each row G·F finite numbers (a typed array row
 * from the NumPy reader is accepted as is); errors name the row and entry.
 */
function packFk(rows: unknown[], width: number, path: (string | number)[]): Float64Array {
  const out = new Float64Array(rows.length * width);
  rows.forEach((row, i) => {
    const isRow = Array.isArray(row) || ArrayBuffer.isView(row);
    const r = row as ArrayLike<unknown>;
    if (!isRow || r.length !== width)
      throw new DatasetError(
        `has ${isRow ? r.length : "no"} entries, expected grid rows × outputs = ${width}`,
        [...path, i],
      );
    for (let j = 0; j < width; j++) {
      const v = r[j];
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new DatasetError("must be a finite number", [...path, i, j]);
      out[i * width + j] = v;
    }
  });
  return out;
}

/** A checked theory: its dataset JSON (for data/dataset.ts) and the packed maps. */
export interface CheckedTheory {
  source: ParsedTheorySource;
  datasetJson: DatasetJson;
  fk: Float64Array;
  positivity: { name: string; n: number; fk: Float64Array }[];
}

/** Limits, schema and shapes (linear in the upload); throws DatasetLimitError or DatasetError naming the array and index. */
export function checkTheory(json: unknown, limits: DatasetLimits = DEFAULT_DATASET_LIMITS): CheckedTheory {
  checkTheoryLimits(json, limits);
  const parsed = theorySourceSchema.safeParse(json);
  if (!parsed.success) throw new DatasetError(formatZodError(parsed.error), []);
  const src = parsed.data;
  const G = src.grid.length;
  const F = src.nOutputs;
  const D = src.grid[0]!.length;
  src.grid.forEach((row, g) => {
    if (row.length !== D) throw new DatasetError(`has ${row.length} features, expected ${D}`, ["grid", g]);
  });
  if (src.xFeature >= D) throw new DatasetError(`feature ${src.xFeature} of ${D} features`, ["xFeature"]);
  if (src.featureNames && src.featureNames.length !== D)
    throw new DatasetError(`${src.featureNames.length} names for ${D} features`, ["featureNames"]);
  if (src.outputNames && src.outputNames.length !== F)
    throw new DatasetError(`${src.outputNames.length} names for ${F} outputs`, ["outputNames"]);
  if (src.preprocessing)
    src.grid.forEach((row, g) => {
      const x = row[src.xFeature]!;
      if (!(x > 0 && x < 1))
        throw new DatasetError(`x = ${x}: preprocessing needs 0 < x < 1`, ["grid", g, src.xFeature]);
    });
  if (src.truthOutputs) {
    if (src.truthOutputs.length !== G)
      throw new DatasetError(`has ${src.truthOutputs.length} rows for ${G} grid rows`, ["truthOutputs"]);
    src.truthOutputs.forEach((row, g) => {
      if (row.length !== F)
        throw new DatasetError(`has ${row.length} outputs, expected ${F}`, ["truthOutputs", g]);
    });
  }
  const W = G * F;
  const blocks = src.subsets.map((s, si) => {
    if (s.fk.length !== s.values.length)
      throw new DatasetError(`has ${s.fk.length} rows, values has ${s.values.length}`, ["subsets", si, "fk"]);
    if (s.kinematics && s.kinematics.length !== s.values.length)
      throw new DatasetError(`has ${s.kinematics.length} entries, values has ${s.values.length}`, [
        "subsets",
        si,
        "kinematics",
      ]);
    return packFk(s.fk, W, ["subsets", si, "fk"]);
  });
  const fk = new Float64Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    fk.set(b, at);
    at += b.length;
  }
  const positivity = (src.positivity ?? []).map((p, pi) => ({
    name: p.name,
    n: p.fk.length,
    fk: packFk(p.fk, W, ["positivity", pi, "fk"]),
  }));
  const datasetJson: DatasetJson = {
    name: src.name,
    inputNames: ["kinematics"],
    nOutputs: 1,
    subsets: src.subsets.map((s) => ({
      name: s.name,
      ...(s.alwaysFitted !== undefined ? { alwaysFitted: s.alwaysFitted } : {}),
      inputs: s.values.map((_, i) => [s.kinematics?.[i] ?? i]),
      values: s.values,
      ...(s.stat ? { stat: s.stat } : {}),
      ...(s.sys ? { sys: s.sys } : {}),
      ...(s.normalisation !== undefined ? { normalisation: s.normalisation } : {}),
      ...(s.truth ? { truth: s.truth } : {}),
    })),
    ...(src.covariance ? { covariance: src.covariance } : {}),
  };
  return { source: src, datasetJson, fk, positivity };
}

/** The checked theory as plain JSON to store (FK rows from NumPy arrays become number lists). */
export function theoryJson(checked: CheckedTheory): ParsedTheorySource {
  const src = checked.source;
  const plain = (rows: unknown[]) => rows.map((r) => Array.from(r as ArrayLike<number>));
  return {
    ...src,
    subsets: src.subsets.map((s) => ({ ...s, fk: plain(s.fk) })),
    ...(src.positivity ? { positivity: src.positivity.map((p) => ({ ...p, fk: plain(p.fk) })) } : {}),
  };
}

/** A theory task, its covariance built and factorised on this thread (tests, the CLI, small theories). */
export function buildTheoryTask(json: unknown, limits: DatasetLimits = DEFAULT_DATASET_LIMITS): Task {
  const checked = checkTheory(json, limits);
  return theoryTask(checked, buildDataset(checked.datasetJson, [], limits));
}

/** buildTheoryTask with the covariance factorised in worker threads (the runner: heartbeats go on). */
export async function buildTheoryTaskOffThread(
  json: unknown,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
): Promise<Task> {
  const checked = checkTheory(json, limits);
  return theoryTask(checked, await buildDatasetOffThread(checked.datasetJson, limits));
}

function theoryTask(checked: CheckedTheory, dataset: Dataset): Task {
  const src = checked.source;
  const F = src.nOutputs;
  const x = src.grid.map((row) => row[src.xFeature]!);
  const pre = src.preprocessing;
  return {
    kind: "theory",
    dataset,
    modelInputs: standardise(src.grid),
    inputScaling: standardisation(src.grid),
    nOutputs: F,
    outputNames: src.outputNames ?? Array.from({ length: F }, (_, f) => `output_${f}`),
    head: { kind: "fk", fk: checked.fk },
    ...(pre
      ? {
          preprocessing: {
            x: Float64Array.from(x),
            alphaInit: pre.alpha,
            betaInit: pre.beta,
            trainable: pre.trainable,
          },
        }
      : {}),
    pseudoData: src.pseudoData,
    ...(src.centralReplica ? { centralReplica: true } : {}),
    ...(checked.positivity.length ? { positivityObservables: checked.positivity } : {}),
    plot: {
      x,
      ...(src.truthOutputs ? { truth: src.truthOutputs } : {}),
      xLabel: src.featureNames?.[src.xFeature] ?? "x",
    },
  };
}

/**
 * Per positivity observable, its most negative prediction from model outputs [G·F] (index g·F + f),
 * or 0 when none is negative: post-fit selection discards a replica with any below −tolerance.
 */
export function positivityViolations(task: Task, outputs: ArrayLike<number>): number[] {
  const W = task.modelInputs.length * task.nOutputs;
  return (task.positivityObservables ?? []).map((p) => {
    let worst = 0;
    for (let i = 0; i < p.n; i++) {
      let t = 0;
      for (let j = 0; j < W; j++) t += p.fk[i * W + j]! * outputs[j]!;
      worst = Math.min(worst, t);
    }
    return worst;
  });
}

/**
 * Integrability check on the host (the kernels' loss has no such term): per output, |x·f(x)| at the
 * smallest grid x, which must go to 0 as x → 0 for ∫ f dx to be finite; post-fit selection may
 * discard replicas above a threshold.
 */
export function integrabilityViolations(task: Task, outputs: ArrayLike<number>): number[] {
  const F = task.nOutputs;
  const x = task.plot.x;
  let g0 = 0;
  x.forEach((v, g) => {
    if (v < x[g0]!) g0 = g;
  });
  return Array.from({ length: F }, (_, f) => Math.abs(x[g0]! * outputs[g0 * F + f]!));
}
