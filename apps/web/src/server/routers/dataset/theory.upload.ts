import {
  DatasetError,
  DatasetLimitError,
  prepareTheoryOffThread,
  TheoryUploadError,
  type TheoryUploadSource,
} from "@hyperensemble/engine";
import { fieldError } from "../field-error";
import { datasetLimits } from "./limits";
import type { UploadDatasetInput } from "./upload.schema";

type TheoryInput = Extract<UploadDatasetInput, { format: "theory" }>;

const decode = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));

/** The JSON upload's theory as the worker reads it: base64 fields decoded, nothing else parsed here. */
export function theoryUploadSource(input: TheoryInput): TheoryUploadSource {
  if (input.theory !== undefined) return { theory: input.theory };
  if (input.npz !== undefined) return { meta: input.meta, npz: decode(input.npz) };
  return {
    meta: input.meta,
    arrays: Object.fromEntries(Object.entries(input.arrays ?? {}).map(([k, v]) => [k, decode(v)])),
  };
}

/**
 * A theory upload checked as the runner will build it, and its JSON to store: everything (the .npz
 * inflated, limits, schema, FK shapes and finite numbers, the covariance's Cholesky factors, the JSON
 * text) in a validation worker (prepareTheoryOffThread), so the event loop only hands over the bytes.
 * Errors name the array and the index under `theory` (data/dataset.ts paths, e.g.
 * theory.subsets.2.fk.14.7); a file that cannot be read, under its field (npz.<array>, arrays.<path>,
 * meta).
 */
export async function prepareTheory(source: TheoryUploadSource, options: { transfer?: boolean } = {}) {
  try {
    return await prepareTheoryOffThread(source, datasetLimits, options);
  } catch (err) {
    if (!(err instanceof TheoryUploadError)) throw err;
    const cause = err.cause;
    if (err.stage === "source") throw fieldError(err.field.length ? err.field : ["theory"], cause.detail);
    const at = (path: (string | number)[]) => ["theory", ...path];
    if (cause instanceof DatasetLimitError || cause instanceof DatasetError) {
      if (cause.path.length > 0) throw fieldError(at(cause.path), cause.detail);
      // a schema error carries its paths in the message ("a.b: msg; c: msg"): keep the first
      const match = /^([^:\s]+): ([^;]*)/.exec(cause.message);
      throw fieldError(match ? at(match[1]!.split(".")) : ["theory"], match ? match[2]! : cause.message);
    }
    throw err;
  }
}
