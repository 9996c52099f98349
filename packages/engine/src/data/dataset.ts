import { z } from "zod";
import { NotPositiveDefiniteError, subMatrix } from "../linalg.ts";
import { BlockMatrix, blockOwners, connectedBlocks } from "./covariance.ts";
import { DatasetLimitError, type DatasetLimits, DEFAULT_DATASET_LIMITS } from "./limits.ts";

/**
 * The dataset JSON format. Points are grouped in named sub-datasets (experiments). Uncertainties are
 * either a full covariance over all points (in sub-dataset order) or, per sub-dataset, statistical
 * errors plus correlated systematics plus an optional relative normalisation uncertainty:
 * C = diag(stat²) + Σ_k β_k β_kᵀ + ε² D Dᵀ (within the sub-dataset).
 */
const finite = z.number().refine(Number.isFinite, "must be a finite number");

export const subsetJsonSchema = z.object({
  name: z.string().min(1),
  /** Never placed in a held-out fold (e.g. it reaches the edges of the input domain). */
  alwaysFitted: z.boolean().optional(),
  /** One input (feature) vector per point. */
  inputs: z.array(z.array(finite).min(1)).min(1),
  values: z.array(finite).min(1),
  /** Which model output a point measures (default 0). */
  outputs: z.array(z.number().int().min(0)).optional(),
  stat: z.array(finite.refine((v) => v > 0, "must be > 0")).optional(),
  /** Correlated systematics: sys[i][k] is source k's shift of point i. */
  sys: z.array(z.array(finite)).optional(),
  /** Relative normalisation uncertainty, fully correlated across the sub-dataset. */
  normalisation: finite.refine((v) => v >= 0, "must be >= 0").optional(),
  /** Known truth (closure tests). */
  truth: z.array(finite).optional(),
});

export const datasetJsonSchema = z
  .object({
    name: z.string().default("dataset"),
    inputNames: z.array(z.string()).optional(),
    nOutputs: z.number().int().min(1).default(1),
    /** What each model output is (a CSV's target columns); plots title their panels with these. */
    outputNames: z.array(z.string().min(1)).optional(),
    subsets: z.array(subsetJsonSchema).min(1),
    /** Full covariance over all points, in sub-dataset order; replaces per-point errors. */
    covariance: z.array(z.array(finite)).optional(),
  })
  .superRefine((ds, ctx) => {
    if (ds.outputNames && ds.outputNames.length !== ds.nOutputs)
      ctx.addIssue({
        code: "custom",
        message: `has ${ds.outputNames.length} names for nOutputs ${ds.nOutputs}`,
        path: ["outputNames"],
      });
    const names = new Set<string>();
    let nPoints = 0;
    const dim = ds.subsets[0]?.inputs[0]?.length ?? 0;
    ds.subsets.forEach((s, si) => {
      const at = (...p: (string | number)[]) => ["subsets", si, ...p];
      if (names.has(s.name))
        ctx.addIssue({ code: "custom", message: `duplicate name "${s.name}"`, path: at("name") });
      names.add(s.name);
      const n = s.values.length;
      nPoints += n;
      if (s.inputs.length !== n)
        ctx.addIssue({
          code: "custom",
          message: `has ${s.inputs.length} rows, values has ${n}`,
          path: at("inputs"),
        });
      s.inputs.forEach((row, i) => {
        if (row.length !== dim)
          ctx.addIssue({
            code: "custom",
            message: `has ${row.length} features, expected ${dim}`,
            path: at("inputs", i),
          });
      });
      for (const key of ["stat", "outputs", "truth"] as const) {
        const arr = s[key];
        if (arr && arr.length !== n)
          ctx.addIssue({
            code: "custom",
            message: `has ${arr.length} entries, values has ${n}`,
            path: at(key),
          });
      }
      s.outputs?.forEach((o, i) => {
        if (o >= ds.nOutputs)
          ctx.addIssue({
            code: "custom",
            message: `output ${o} >= nOutputs ${ds.nOutputs}`,
            path: at("outputs", i),
          });
      });
      if (s.sys) {
        if (s.sys.length !== n)
          ctx.addIssue({
            code: "custom",
            message: `has ${s.sys.length} rows, values has ${n}`,
            path: at("sys"),
          });
        const k = s.sys[0]?.length ?? 0;
        s.sys.forEach((row, i) => {
          if (row.length !== k)
            ctx.addIssue({
              code: "custom",
              message: `has ${row.length} sources, expected ${k}`,
              path: at("sys", i),
            });
        });
      }
      if (!ds.covariance && !s.stat && !s.sys)
        ctx.addIssue({
          code: "custom",
          message: "needs stat or sys errors (or a dataset covariance)",
          path: at("stat"),
        });
    });
    if (ds.covariance) {
      const c = ds.covariance;
      if (c.length !== nPoints)
        ctx.addIssue({
          code: "custom",
          message: `has ${c.length} rows for ${nPoints} points`,
          path: ["covariance"],
        });
      c.forEach((row, i) => {
        if (row.length !== nPoints)
          ctx.addIssue({
            code: "custom",
            message: `has ${row.length} columns for ${nPoints} points`,
            path: ["covariance", i],
          });
      });
      if (c.length === nPoints && c.every((r) => r.length === nPoints)) {
        for (let i = 0; i < nPoints; i++)
          for (let j = 0; j < i; j++) {
            const a = c[i]![j]!;
            const b = c[j]![i]!;
            if (Math.abs(a - b) > 1e-12 * Math.max(1, Math.abs(a), Math.abs(b)))
              ctx.addIssue({
                code: "custom",
                message: `not symmetric: [${i}][${j}]=${a} but [${j}][${i}]=${b}`,
                path: ["covariance", i, j],
              });
          }
      }
    }
  });

export type DatasetJson = z.input<typeof datasetJsonSchema>;
export type ParsedDatasetJson = z.output<typeof datasetJsonSchema>;

export interface Subset {
  name: string;
  indices: number[];
  alwaysFitted: boolean;
}

/**
 * A validated dataset: points flattened in sub-dataset order, covariance built and factorised once,
 * per correlated block (data/covariance.ts), never as a dense N × N.
 */
export interface Dataset {
  name: string;
  nPoints: number;
  nOutputs: number;
  inputDim: number;
  inputNames: string[];
  /** Present when the source named its outputs. */
  outputNames?: string[];
  inputs: number[][];
  outputs: number[];
  central: Float64Array;
  cov: BlockMatrix;
  /** Lower Cholesky factor of `cov`, block by block in the same layout. */
  chol: BlockMatrix;
  subsets: Subset[];
  truth?: Float64Array;
}

export class DatasetError extends Error {
  constructor(
    /** The message without the path. */
    readonly detail: string,
    readonly path: (string | number)[],
    /** The covariance block whose factorisation failed, if that is the error. */
    readonly block?: number,
  ) {
    super(`${path.length ? path.join(".") + ": " : ""}${detail}`);
  }
}

/** Format a zod error so that every message names the offending field. */
export function formatZodError(err: z.ZodError, prefix: (string | number)[] = []): string {
  return err.issues
    .map((i) => {
      const path = [...prefix, ...i.path.map((p) => String(p))].join(".");
      return `${path || "(root)"}: ${i.message}`;
    })
    .join("; ");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const lengthOf = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/** Whether a sub-dataset's points are correlated (one dense block) or independent (stat errors only). */
function subsetIsCorrelated(s: { sys?: unknown; normalisation?: unknown }): boolean {
  return Array.isArray(s.sys) || (typeof s.normalisation === "number" && s.normalisation > 0);
}

function checkBlocks(sizes: Iterable<number>, limits: DatasetLimits, path: (string | number)[]): void {
  let entries = 0;
  for (const m of sizes) {
    if (m > limits.maxBlockPoints)
      throw new DatasetLimitError(
        path,
        `a correlated block of ${m} points is over the limit of ${limits.maxBlockPoints} points per block`,
        "maxBlockPoints",
      );
    entries += m * m;
  }
  if (entries > limits.maxCovarianceEntries)
    throw new DatasetLimitError(
      path,
      `the correlated blocks hold ${entries} covariance entries, over the limit of ${limits.maxCovarianceEntries}`,
      "maxCovarianceEntries",
    );
}

/**
 * The dataset's size limits, checked on the raw JSON before it is parsed or anything is allocated
 * for it (counts only; shapes are the schema's job). Throws DatasetLimitError naming the field.
 * A full covariance's block structure is checked later (checkCovarianceBlocks), once its rows are
 * known to be numbers.
 */
export function checkDatasetLimits(
  json: unknown,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
  prefix: (string | number)[] = [],
): void {
  if (!isObject(json)) return;
  const at = (...p: (string | number)[]) => [...prefix, ...p];
  const subsets = Array.isArray(json.subsets) ? json.subsets : [];
  if (subsets.length > limits.maxSubsets)
    throw new DatasetLimitError(
      at("subsets"),
      `${subsets.length} sub-datasets, at most ${limits.maxSubsets}`,
      "maxSubsets",
    );
  if (typeof json.nOutputs === "number" && json.nOutputs > limits.maxOutputs)
    throw new DatasetLimitError(
      at("nOutputs"),
      `${json.nOutputs} outputs, at most ${limits.maxOutputs}`,
      "maxOutputs",
    );
  let points = 0;
  const blockSizes: number[] = [];
  subsets.forEach((s, si) => {
    if (!isObject(s)) return;
    const n = lengthOf(s.values);
    points += n;
    if (points > limits.maxPoints)
      throw new DatasetLimitError(
        at("subsets"),
        `more than ${limits.maxPoints} points (the limit) in the first ${si + 1} sub-datasets`,
        "maxPoints",
      );
    const inputs = Array.isArray(s.inputs) ? s.inputs : [];
    const features = lengthOf(inputs[0]);
    if (features > limits.maxInputs)
      throw new DatasetLimitError(
        at("subsets", si, "inputs"),
        `${features} input features, at most ${limits.maxInputs}`,
        "maxInputs",
      );
    const sys = Array.isArray(s.sys) ? s.sys : [];
    const sources = lengthOf(sys[0]);
    if (sources > limits.maxSysSources)
      throw new DatasetLimitError(
        at("subsets", si, "sys"),
        `${sources} systematic sources, at most ${limits.maxSysSources}`,
        "maxSysSources",
      );
    if (json.covariance === undefined && subsetIsCorrelated(s)) blockSizes.push(n);
  });
  if (json.covariance !== undefined) {
    const rows = lengthOf(json.covariance);
    if (rows > limits.maxPoints)
      throw new DatasetLimitError(at("covariance"), `${rows} rows, at most ${limits.maxPoints}`, "maxPoints");
  } else checkBlocks(blockSizes, limits, at("subsets"));
}

/**
 * A full covariance's correlated blocks (connected components of its non-zero pattern), checked
 * against the block limits before any block is allocated.
 */
function covarianceBlocksWithin(
  covariance: number[][],
  limits: DatasetLimits,
  prefix: (string | number)[],
): number[][] {
  const blocks = connectedBlocks({ n: covariance.length, row: (i) => covariance[i]! });
  checkBlocks(
    blocks.map((b) => b.length),
    limits,
    [...prefix, "covariance"],
  );
  return blocks;
}

/**
 * Schema and limits: the checks that are linear in the upload's size (no covariance is built). Throws
 * DatasetLimitError or DatasetError naming the field.
 */
export function parseDatasetJson(
  json: unknown,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
  pathPrefix: (string | number)[] = [],
): ParsedDatasetJson {
  checkDatasetLimits(json, limits, pathPrefix);
  const parsed = datasetJsonSchema.safeParse(json);
  if (!parsed.success) throw new DatasetError(formatZodError(parsed.error, pathPrefix), []);
  return parsed.data;
}

/** The covariance in block form: a full covariance split into its blocks, else one block per correlated sub-dataset. */
function buildCovariance(
  ds: ParsedDatasetJson,
  subsets: Subset[],
  central: number[],
  limits: DatasetLimits,
  pathPrefix: (string | number)[],
): { cov: BlockMatrix; blockSource: (b: number) => (string | number)[] } {
  const n = central.length;
  if (ds.covariance) {
    const c = ds.covariance;
    const blocks = covarianceBlocksWithin(c, limits, pathPrefix);
    const cov = BlockMatrix.fromDense({ n, row: (i) => c[i]! }, blocks);
    return { cov, blockSource: () => ["covariance"] };
  }
  const blocks: { points: number[]; matrix: Float64Array }[] = [];
  const source: number[] = [];
  ds.subsets.forEach((s, si) => {
    const idx = subsets[si]!.indices;
    if (!subsetIsCorrelated(s)) {
      // Statistical errors only: every point is its own 1 × 1 block.
      idx.forEach((i, a) => {
        const st = s.stat?.[a] ?? 0;
        blocks.push({ points: [i], matrix: Float64Array.of(st * st) });
        source.push(si);
      });
      return;
    }
    const m = idx.length;
    const matrix = new Float64Array(m * m);
    const eps = s.normalisation ?? 0;
    for (let a = 0; a < m; a++) {
      const st = s.stat?.[a] ?? 0;
      const ra = s.sys?.[a];
      for (let b = 0; b < m; b++) {
        let v = 0;
        const rb = s.sys?.[b];
        if (ra && rb) for (let k = 0; k < ra.length; k++) v += ra[k]! * rb[k]!;
        v += eps * eps * central[idx[a]!]! * central[idx[b]!]!;
        // diag(stat²) first, then the correlated part: the sums of the former dense build, exactly
        matrix[a * m + b] = (a === b ? st * st : 0) + v;
      }
    }
    // Zero correlations inside a sub-dataset (e.g. a systematic that misses some points) split it
    // further: the finest blocks, as the factor and the trainers' whitening use them.
    for (const part of connectedBlocks({ n: m, row: (a) => matrix.subarray(a * m, (a + 1) * m) })) {
      const k = part.length;
      const sub = k === m ? matrix : subMatrix({ n: m, data: matrix }, part).data;
      blocks.push({ points: part.map((a) => idx[a]!), matrix: sub });
      source.push(si);
    }
  });
  return {
    cov: BlockMatrix.fromBlocks(n, blocks),
    blockSource: (b) => ["subsets", source[b]!],
  };
}

/**
 * How buildDataset gets the covariance factor: factorised here (the default), only one thread's share
 * of the blocks (`share`, as blockOwners splits them; the other blocks stay zero), or assembled from
 * every thread's share (`shares[t]`: thread t's factor entries in the covariance's block layout,
 * computed off the event loop by data/validate.ts).
 */
export interface DatasetFactor {
  share?: { thread: number; threads: number };
  shares?: Float64Array[];
}

const ownedBy = (owners: Int32Array, thread: number) => (b: number) => owners[b] === thread;

/** The factor from the threads' shares: each block's entries copied from the thread that owns it. */
function mergeShares(cov: BlockMatrix, shares: Float64Array[]): BlockMatrix {
  for (const f of shares)
    if (f.length !== cov.entries.length)
      throw new Error(`dataset: a factor share of ${f.length} entries for ${cov.entries.length}`);
  const owners = blockOwners(cov, shares.length);
  const out = shares.length === 1 ? shares[0]! : new Float64Array(cov.entries.length);
  if (shares.length > 1)
    for (let b = 0; b < cov.nBlocks; b++) {
      const from = cov.entryStart[b]!;
      const to = cov.entryStart[b + 1]!;
      out.set(shares[owners[b]!]!.subarray(from, to), from);
    }
  return new BlockMatrix(cov.n, cov.order, cov.pointStart, out);
}

/**
 * Parse, validate and assemble a dataset; throws DatasetError (or DatasetLimitError) naming the field
 * at fault. The covariance is built and factorised per correlated block: Σ n_b² memory and Σ n_b³ / 3
 * work, within the limits, checked before any block is allocated.
 */
export function buildDataset(
  json: unknown,
  pathPrefix: (string | number)[] = [],
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
  factor: DatasetFactor = {},
): Dataset {
  const ds = parseDatasetJson(json, limits, pathPrefix);
  const inputs: number[][] = [];
  const outputs: number[] = [];
  const central: number[] = [];
  const truth: number[] = [];
  const subsets: Subset[] = [];
  const hasTruth = ds.subsets.every((s) => s.truth);
  for (const s of ds.subsets) {
    const start = central.length;
    s.values.forEach((v, i) => {
      inputs.push(s.inputs[i]!);
      outputs.push(s.outputs?.[i] ?? 0);
      central.push(v);
      if (hasTruth) truth.push(s.truth![i]!);
    });
    subsets.push({
      name: s.name,
      alwaysFitted: s.alwaysFitted ?? false,
      indices: Array.from({ length: s.values.length }, (_, i) => start + i),
    });
  }
  const n = central.length;
  const { cov, blockSource } = buildCovariance(ds, subsets, central, limits, pathPrefix);
  let chol: BlockMatrix;
  try {
    chol = factor.shares
      ? mergeShares(cov, factor.shares)
      : cov.factor(factor.share && ownedBy(blockOwners(cov, factor.share.threads), factor.share.thread));
  } catch (e) {
    if (e instanceof NotPositiveDefiniteError)
      throw new DatasetError(
        `covariance is not symmetric positive definite (Cholesky pivot ${e.pivot} = ${e.value})`,
        [...pathPrefix, ...blockSource(cov.blockOf[e.pivot]!)],
        cov.blockOf[e.pivot]!,
      );
    throw e;
  }
  const dim = inputs[0]!.length;
  return {
    name: ds.name,
    nPoints: n,
    nOutputs: ds.nOutputs,
    inputDim: dim,
    inputNames: ds.inputNames ?? Array.from({ length: dim }, (_, i) => `x${i}`),
    ...(ds.outputNames ? { outputNames: ds.outputNames } : {}),
    inputs,
    outputs,
    central: Float64Array.from(central),
    cov,
    chol,
    subsets,
    ...(hasTruth ? { truth: Float64Array.from(truth) } : {}),
  };
}
