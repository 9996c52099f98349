import { z } from "zod";
import { cholesky, NotPositiveDefiniteError, type SquareMatrix } from "../linalg.ts";

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
    subsets: z.array(subsetJsonSchema).min(1),
    /** Full covariance over all points, in sub-dataset order; replaces per-point errors. */
    covariance: z.array(z.array(finite)).optional(),
  })
  .superRefine((ds, ctx) => {
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

export interface Subset {
  name: string;
  indices: number[];
  alwaysFitted: boolean;
}

/** A validated dataset: points flattened in sub-dataset order, covariance built and factorised once. */
export interface Dataset {
  name: string;
  nPoints: number;
  nOutputs: number;
  inputDim: number;
  inputNames: string[];
  inputs: number[][];
  outputs: number[];
  central: Float64Array;
  cov: SquareMatrix;
  chol: SquareMatrix;
  subsets: Subset[];
  truth?: Float64Array;
}

export class DatasetError extends Error {
  constructor(
    message: string,
    readonly path: (string | number)[],
  ) {
    super(`${path.length ? path.join(".") + ": " : ""}${message}`);
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

/** Parse, validate and assemble a dataset; throws DatasetError naming the field at fault. */
export function buildDataset(json: unknown, pathPrefix: (string | number)[] = []): Dataset {
  const parsed = datasetJsonSchema.safeParse(json);
  if (!parsed.success) throw new DatasetError(formatZodError(parsed.error, pathPrefix), []);
  const ds = parsed.data;
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
  const cov = new Float64Array(n * n);
  if (ds.covariance) {
    ds.covariance.forEach((row, i) => {
      row.forEach((v, j) => {
        cov[i * n + j] = v;
      });
    });
  } else {
    ds.subsets.forEach((s, si) => {
      const idx = subsets[si]!.indices;
      idx.forEach((i, a) => {
        const st = s.stat?.[a] ?? 0;
        cov[i * n + i]! += st * st;
        idx.forEach((j, b) => {
          let v = 0;
          const ra = s.sys?.[a];
          const rb = s.sys?.[b];
          if (ra && rb) for (let k = 0; k < ra.length; k++) v += ra[k]! * rb[k]!;
          const eps = s.normalisation ?? 0;
          v += eps * eps * central[i]! * central[j]!;
          cov[i * n + j]! += v;
        });
      });
    });
  }
  const covM = { n, data: cov };
  let chol: SquareMatrix;
  try {
    chol = cholesky(covM);
  } catch (e) {
    if (e instanceof NotPositiveDefiniteError)
      throw new DatasetError(
        `covariance is not symmetric positive definite (Cholesky pivot ${e.pivot} = ${e.value})`,
        [...pathPrefix, ds.covariance ? "covariance" : "subsets"],
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
    inputs,
    outputs,
    central: Float64Array.from(central),
    cov: covM,
    chol,
    subsets,
    ...(hasTruth ? { truth: Float64Array.from(truth) } : {}),
  };
}
