/**
 * Size limits of a dataset, checked before anything is allocated for it (the web's upload, the
 * runner's trial, the CLI). One home, so the web, the runner and docs/operations.md agree; operators
 * may override each with the environment variable named in `datasetLimitVariables`.
 */
export interface DatasetLimits {
  /** Bytes of the uploaded source (CSV text, or dataset JSON as serialised). */
  maxSourceBytes: number;
  /** Points over all sub-datasets (a CSV row gives one point per target column). */
  maxPoints: number;
  /** Points of one correlated block, the size of a dense covariance block and its Cholesky factor. */
  maxBlockPoints: number;
  /** Σ (block points)² over all blocks: float64 entries of the covariance (and again of its factor). */
  maxCovarianceEntries: number;
  /** Model outputs (nOutputs; CSV target columns). */
  maxOutputs: number;
  /** Input features per point. */
  maxInputs: number;
  /** Sub-datasets. */
  maxSubsets: number;
  /** Correlated systematic sources per point (sys columns). */
  maxSysSources: number;
  /** Off-thread validation (web): wall-clock budget for factorising the covariance, ms. */
  validationMs: number;
  /** Off-thread validation (web): the worker's JavaScript heap, MB. */
  validationHeapMb: number;
  /** Off-thread validation (web): validations at once per process; more wait their turn. */
  validationConcurrency: number;
  /** Theory datasets (tasks/theory.ts): points over all sub-datasets (NNPDF 4.0 fits about 4,600). */
  maxTheoryPoints: number;
  /** Theory datasets: sub-datasets. */
  maxTheorySubsets: number;
  /** Theory datasets: rows of the input grid (each FK row has grid points × outputs entries). */
  maxGridPoints: number;
  /** Theory datasets: model outputs (flavours). */
  maxTheoryOutputs: number;
  /** Theory datasets: positivity observables' points over all of them. */
  maxPositivityPoints: number;
  /**
   * Theory datasets: bytes of a binary theory upload's request body (the web's multipart route:
   * the JSON fields with an .npz or .npy files), refused before more is read. The JSON routes keep
   * maxSourceBytes.
   */
  maxTheoryBytes: number;
}

/**
 * Defaults: a 10 MB source; 100,000 points; dense blocks up to 5,000 points (200 MB as float64, the
 * same again for the factor), 25 M block entries in all (one such block); 64 outputs, 256 features,
 * 1,000 sub-datasets, 1,000 systematic sources; 60 s and 512 MB of heap for validation off the event
 * loop, two validations at once. Theory datasets: 10,000 points in at most 100 sub-datasets, a grid of at
 * most 200 rows, 14 outputs (so an FK map has at most 10,000 × 2,800 entries), 2,000 positivity points,
 * and a binary upload of 256 MiB: the largest FK maps and positivity maps as float32 (112 MB + 22.4
 * MB) with room for the data, systematics and the archive's headers (as float64, 224 MB of FK alone
 * would not leave that room: send float32, or raise HENS_THEORY_MAX_BYTES).
 */
export const DEFAULT_DATASET_LIMITS: Readonly<DatasetLimits> = Object.freeze({
  maxSourceBytes: 10 * 1024 * 1024,
  maxPoints: 100_000,
  maxBlockPoints: 5_000,
  maxCovarianceEntries: 25_000_000,
  maxOutputs: 64,
  maxInputs: 256,
  maxSubsets: 1_000,
  maxSysSources: 1_000,
  validationMs: 60_000,
  validationHeapMb: 512,
  validationConcurrency: 2,
  maxTheoryPoints: 10_000,
  maxTheorySubsets: 100,
  maxGridPoints: 200,
  maxTheoryOutputs: 14,
  maxPositivityPoints: 2_000,
  maxTheoryBytes: 256 * 1024 * 1024,
});

/** The environment variable that overrides each limit (positive integers). */
export const datasetLimitVariables: Readonly<Record<keyof DatasetLimits, string>> = Object.freeze({
  maxSourceBytes: "HENS_DATASET_MAX_BYTES",
  maxPoints: "HENS_DATASET_MAX_POINTS",
  maxBlockPoints: "HENS_DATASET_MAX_BLOCK_POINTS",
  maxCovarianceEntries: "HENS_DATASET_MAX_COVARIANCE_ENTRIES",
  maxOutputs: "HENS_DATASET_MAX_OUTPUTS",
  maxInputs: "HENS_DATASET_MAX_INPUTS",
  maxSubsets: "HENS_DATASET_MAX_SUBSETS",
  maxSysSources: "HENS_DATASET_MAX_SYS_SOURCES",
  validationMs: "HENS_DATASET_VALIDATION_MS",
  validationHeapMb: "HENS_DATASET_VALIDATION_HEAP_MB",
  validationConcurrency: "HENS_DATASET_VALIDATION_CONCURRENCY",
  maxTheoryPoints: "HENS_THEORY_MAX_POINTS",
  maxTheorySubsets: "HENS_THEORY_MAX_SUBSETS",
  maxGridPoints: "HENS_THEORY_MAX_GRID_POINTS",
  maxTheoryOutputs: "HENS_THEORY_MAX_OUTPUTS",
  maxPositivityPoints: "HENS_THEORY_MAX_POSITIVITY_POINTS",
  maxTheoryBytes: "HENS_THEORY_MAX_BYTES",
});

/** Limits from an environment (process.env in the web and the runner); invalid values throw, naming the variable. */
export function datasetLimitsFromEnv(env: Record<string, string | undefined>): DatasetLimits {
  const limits = { ...DEFAULT_DATASET_LIMITS };
  for (const key of Object.keys(datasetLimitVariables) as (keyof DatasetLimits)[]) {
    const name = datasetLimitVariables[key];
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") continue;
    const v = Number(raw);
    if (!Number.isSafeInteger(v) || v < 1)
      throw new Error(`${name} must be a positive integer (got "${raw}")`);
    limits[key] = v;
  }
  return limits;
}

/** A dataset over a limit: `path` names the field (e.g. ["subsets"], ["covariance"], ["csv"]). */
export class DatasetLimitError extends Error {
  constructor(
    readonly path: (string | number)[],
    readonly detail: string,
    /** The limit exceeded, by DatasetLimits key. */
    readonly limit: keyof DatasetLimits,
  ) {
    super(`${path.length ? `${path.join(".")}: ` : ""}${detail}`);
  }
}

/**
 * Sub-datasets of the built-in closure task that may be held out as folds (all but the two edge
 * ones): a study on it takes 1 to this many folds.
 */
export const CLOSURE_FOLDABLE_SUBSETS = 6;
