import {
  checkTheory,
  DatasetError,
  DatasetLimitError,
  NpyError,
  theoryFromNpyFiles,
  theoryFromNpz,
  theoryJson,
  validateDataset,
} from "@hyperensemble/engine";
import { fieldError } from "../field-error";
import { datasetLimits } from "./limits";
import type { UploadDatasetInput } from "./upload.schema";

type TheoryInput = Extract<UploadDatasetInput, { format: "theory" }>;

const decode = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));

/** The theory JSON from whichever form was sent; NumPy errors name the array under `npz`/`arrays`. */
function theorySource(input: TheoryInput): unknown {
  if (input.theory !== undefined) return input.theory;
  try {
    if (input.npz !== undefined) return theoryFromNpz(input.meta, decode(input.npz), datasetLimits);
    return theoryFromNpyFiles(
      input.meta,
      Object.fromEntries(Object.entries(input.arrays ?? {}).map(([k, v]) => [k, decode(v)])),
      datasetLimits,
    );
  } catch (err) {
    const field = input.npz !== undefined ? "npz" : "arrays";
    if (err instanceof NpyError) throw fieldError([field, err.array], err.detail);
    if (err instanceof DatasetError) throw fieldError(err.path, err.detail);
    throw err;
  }
}

/**
 * A theory upload checked as the runner will build it: limits, schema and FK shapes here (linear in
 * the upload), the covariance's Cholesky factors off the event loop (validateDataset's worker).
 * Errors name the array and the index under `theory` (data/dataset.ts paths, e.g.
 * theory.subsets.2.fk.14.7).
 */
export async function prepareTheory(input: TheoryInput) {
  const source = theorySource(input);
  const at = (path: (string | number)[]) => ["theory", ...path];
  try {
    const checked = checkTheory(source, datasetLimits);
    await validateDataset(checked.datasetJson, datasetLimits);
    const json = theoryJson(checked);
    const nPoints = checked.datasetJson.subsets.reduce((n, s) => n + s.values.length, 0);
    const summary = {
      nPoints,
      nOutputs: json.nOutputs,
      inputDim: json.grid[0]!.length,
      inputNames: json.featureNames ?? json.grid[0]!.map((_, i) => `x${i}`),
      subsets: json.subsets.map((s) => ({ name: s.name, nPoints: s.values.length })),
      uncertainty: json.covariance ? "covariance" : "stat+sys",
      hasTruth: json.subsets.every((s) => s.truth),
      theory: {
        gridPoints: json.grid.length,
        outputNames: json.outputNames ?? null,
        positivity: (json.positivity ?? []).map((p) => ({ name: p.name, nPoints: p.fk.length })),
        preprocessing: json.preprocessing ?? null,
      },
    };
    return { json, summary };
  } catch (err) {
    if (err instanceof DatasetLimitError || err instanceof DatasetError) {
      if (err.path.length > 0) throw fieldError(at(err.path), err.detail);
      // a schema error carries its paths in the message ("a.b: msg; c: msg"): keep the first
      const match = /^([^:\s]+): ([^;]*)/.exec(err.message);
      throw fieldError(match ? at(match[1]!.split(".")) : ["theory"], match ? match[2]! : err.message);
    }
    throw err;
  }
}
