import { buildDataset, DatasetError } from "../data/dataset.ts";
import { DatasetLimitError, type DatasetLimits, DEFAULT_DATASET_LIMITS } from "../data/limits.ts";
import { NpyError } from "../data/npy.ts";
import { type CheckedTheory, checkTheory, theoryJson } from "./theory.ts";
import { theoryFromNpyFiles, theoryFromNpz } from "./theoryArrays.ts";

/**
 * A theory upload as it arrives (docs/api.md): the whole theory as JSON (parsed, or a file's bytes),
 * or its JSON fields (`meta`, parsed or a file's bytes) with the arrays as one .npz or as .npy files
 * keyed by their array path. Bytes stay bytes until the worker reads them (validate.ts).
 */
export type TheoryUploadSource =
  | { theory: unknown }
  | { theoryFile: Uint8Array }
  | { meta: unknown; metaFile?: undefined; npz: Uint8Array }
  | { meta?: undefined; metaFile: Uint8Array; npz: Uint8Array }
  | { meta: unknown; metaFile?: undefined; arrays: Record<string, Uint8Array> }
  | { meta?: undefined; metaFile: Uint8Array; arrays: Record<string, Uint8Array> };

/**
 * Where an upload was refused: `source` (reading the files: the .npz, an .npy, the JSON text;
 * `field` names it, e.g. ["npz", "subsets/0/fk"]) or `theory` (limits, schema, shapes, finite
 * numbers, the covariance; `cause.path` is the path in the theory JSON, e.g. subsets.2.fk.3.5).
 */
export class TheoryUploadError extends Error {
  constructor(
    readonly stage: "source" | "theory",
    override readonly cause: NpyError | DatasetError | DatasetLimitError,
    /** For the source stage: the upload's field at fault. */
    readonly field: (string | number)[] = [],
  ) {
    super(cause.message);
  }
}

/** What a stored theory dataset records beside its JSON (the datasets page and the runner read it). */
export function theorySummary(checked: CheckedTheory) {
  const src = checked.source;
  return {
    nPoints: checked.datasetJson.subsets.reduce((n, s) => n + s.values.length, 0),
    nOutputs: src.nOutputs,
    inputDim: src.grid[0]!.length,
    inputNames: src.featureNames ?? src.grid[0]!.map((_, i) => `x${i}`),
    subsets: src.subsets.map((s) => ({ name: s.name, nPoints: s.values.length })),
    uncertainty: src.covariance ? "covariance" : "stat+sys",
    hasTruth: src.subsets.every((s) => s.truth),
    theory: {
      gridPoints: src.grid.length,
      outputNames: src.outputNames ?? null,
      positivity: (src.positivity ?? []).map((p) => ({ name: p.name, nPoints: p.fk.length })),
      preprocessing: src.preprocessing ?? null,
    },
  };
}
export type TheorySummary = ReturnType<typeof theorySummary>;

function parseJsonFile(bytes: Uint8Array, field: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new TheoryUploadError(
      "source",
      new DatasetError(`not valid JSON: ${(err as Error).message}`, [field]),
      [field],
    );
  }
}

/** The theory JSON from whichever form was sent; NumPy errors name the array under `npz`/`arrays`. */
function theorySource(upload: TheoryUploadSource, limits: DatasetLimits): unknown {
  if ("theory" in upload) return upload.theory;
  if ("theoryFile" in upload) return parseJsonFile(upload.theoryFile, "theory");
  const meta = upload.metaFile ? parseJsonFile(upload.metaFile, "meta") : upload.meta;
  const field = "npz" in upload ? "npz" : "arrays";
  try {
    if ("npz" in upload) return theoryFromNpz(meta, upload.npz, limits);
    return theoryFromNpyFiles(meta, upload.arrays, limits);
  } catch (err) {
    if (err instanceof NpyError) throw new TheoryUploadError("source", err, [field, err.array]);
    if (err instanceof DatasetError) throw new TheoryUploadError("source", err, err.path);
    throw err;
  }
}

/**
 * Everything a theory upload is checked against, and its JSON to store: the files read (.npz
 * inflated within the limits), limits, schema, FK shapes and finite numbers, the covariance built and
 * factorised. Linear or worse in the upload, so the web runs it in a worker thread
 * (prepareTheoryOffThread, data/validate.ts), never on its event loop. The JSON comes back as UTF-8
 * bytes, which a worker hands over without a copy (a string of tens of MB would be copied, and decoded,
 * on the receiving thread). Throws TheoryUploadError.
 */
export function prepareTheoryUpload(
  upload: TheoryUploadSource,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
): { json: Uint8Array; summary: TheorySummary } {
  const source = theorySource(upload, limits);
  let checked: CheckedTheory;
  try {
    checked = checkTheory(source, limits);
    buildDataset(checked.datasetJson, [], limits);
  } catch (err) {
    if (err instanceof DatasetLimitError || err instanceof DatasetError)
      throw new TheoryUploadError("theory", err);
    throw err;
  }
  let text: string;
  try {
    text = JSON.stringify(theoryJson(checked));
  } catch (err) {
    // V8's longest string (2^29 − 24 characters): about 26 million FK entries as JSON numbers
    if (!(err instanceof RangeError)) throw err;
    throw new TheoryUploadError(
      "theory",
      new DatasetError(
        `too large to store: its JSON passes the longest string this server can hold (${err.message})`,
        [],
      ),
    );
  }
  return { json: new TextEncoder().encode(text), summary: theorySummary(checked) };
}
