import {
  buildDataset,
  csvToDatasetJson,
  type Dataset,
  DatasetError,
  type DatasetJson,
  datasetJsonSchema,
} from "@hyperensemble/engine";
import type { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { recordAudit } from "../audit/record";
import { fieldError, fieldErrors, isUniqueViolation } from "../field-error";
import type { UploadDatasetInput } from "./upload.schema";

const CSV_FIELDS = new Set(["inputs", "targets", "errors", "subset"]);

/** The engine's "a.b.0: message; c: message" into field errors under `root` (data, csv, ...). */
function datasetErrorToFields(err: DatasetError, root: string, keepPaths: boolean): TRPCError {
  if (err.path.length > 0) {
    // CSV uploads report under the CSV (or covariance) field: engine paths into the built JSON
    // (`subsets`, ...) name nothing the uploader sent.
    const path = keepPaths ? [root, ...err.path] : [root];
    return fieldError(path, err.message.replace(/^[^:]*: /, ""));
  }
  const issues = err.message.split("; ").map((part) => {
    const match = /^([^:\s]+): (.*)$/s.exec(part);
    if (!match?.[1] || match[2] === undefined) return { path: [root], message: part };
    const path = match[1] === "(root)" ? [] : match[1].split(".");
    return keepPaths ? { path: [root, ...path], message: match[2] } : { path: [root], message: part };
  });
  return fieldErrors(issues);
}

/** The upload as the engine's dataset JSON; CSV errors name the column list or the CSV at fault. */
function toDatasetJson(input: UploadDatasetInput): DatasetJson {
  if (input.format === "json") return input.data as DatasetJson;
  let json: DatasetJson;
  try {
    json = csvToDatasetJson({
      format: "csv",
      csv: input.csv,
      inputs: input.inputs,
      targets: input.targets,
      errors: input.errors,
      ...(input.subset ? { subset: input.subset } : {}),
      ...(input.normalisation !== undefined ? { normalisation: input.normalisation } : {}),
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const field = /^(\w+): /.exec(message)?.[1];
    if (field && CSV_FIELDS.has(field)) throw fieldError([field], message.slice(field.length + 2));
    throw fieldError(["csv"], message);
  }
  return input.covariance
    ? { ...json, name: input.name, covariance: input.covariance }
    : { ...json, name: input.name };
}

/** Validate with the engine (finite numbers, shapes, positive-definite covariance), then store. */
function validate(input: UploadDatasetInput, json: DatasetJson): Dataset {
  try {
    return buildDataset(json);
  } catch (err) {
    if (!(err instanceof DatasetError)) throw err;
    if (input.format === "json") throw datasetErrorToFields(err, "data", true);
    const covarianceProblem = /covariance/.test(err.message) && input.covariance;
    throw datasetErrorToFields(err, covarianceProblem ? "covariance" : "csv", false);
  }
}

/**
 * Everything an upload is checked against, before the database: the dataset JSON to store and its
 * summary, or a BAD_REQUEST naming the field. Pure (no I/O), so it can be fuzzed at volume.
 */
export function prepareDataset(input: UploadDatasetInput) {
  const json = toDatasetJson(input);
  const dataset = validate(input, json);
  const summary = {
    nPoints: dataset.nPoints,
    nOutputs: dataset.nOutputs,
    inputDim: dataset.inputDim,
    inputNames: dataset.inputNames,
    subsets: dataset.subsets.map((s) => ({ name: s.name, nPoints: s.indices.length })),
    uncertainty: json.covariance ? "covariance" : "stat+sys",
    hasTruth: dataset.truth !== undefined,
  };
  // Store the validated shape only: unknown keys in an upload are dropped, not kept.
  return { json: datasetJsonSchema.parse(json), dataset, summary };
}

export async function uploadDatasetHandler({ ctx, input }: { ctx: OrgContext; input: UploadDatasetInput }) {
  const { json, dataset, summary } = prepareDataset(input);
  try {
    return await ctx.orgDb.$transaction(async (tx) => {
      const row = await tx.dataset.create({
        data: {
          orgId: ctx.org.id,
          name: input.name,
          kind: "tabular",
          nPoints: dataset.nPoints,
          summary,
          data: json as object,
          createdBy: ctx.user.id,
        },
        select: { id: true, name: true, kind: true, nPoints: true, summary: true, createdAt: true },
      });
      await recordAudit(tx, ctx, {
        action: "dataset.upload",
        target: row.id,
        data: { name: row.name, format: input.format, nPoints: row.nPoints },
      });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw fieldError(
        ["name"],
        `a dataset named "${input.name}" already exists in this organization`,
        "CONFLICT",
      );
    }
    throw err;
  }
}
