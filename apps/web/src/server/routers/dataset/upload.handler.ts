import type { Prisma } from "@hyperensemble/db";
import {
  csvToDatasetJson,
  DatasetError,
  type DatasetJson,
  DatasetLimitError,
  validateDataset,
} from "@hyperensemble/engine";
import { checkStorageQuota, StorageQuotaError } from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { recordAudit } from "../audit/record";
import { fieldError, fieldErrors, isUniqueViolation } from "../field-error";
import { csvCell, csvMessage } from "./csv-location";
import { datasetLimits } from "./limits";
import { theoryFilesSource } from "./theory.files";
import { prepareTheory, theoryUploadSource } from "./theory.upload";
import type { UploadDatasetInput } from "./upload.schema";

type TabularInput = Exclude<UploadDatasetInput, { format: "theory" }>;

const CSV_FIELDS = new Set(["inputs", "targets", "errors", "subset"]);

/** The engine's schema errors "a.b.0: message; c: message" into field errors under `root` (data, csv, ...). */
function datasetErrorToFields(
  err: DatasetError,
  root: string,
  keepPaths: boolean,
  describe: (part: string) => string = (part) => part,
): TRPCError {
  const issues = err.message.split("; ").map((part) => {
    const match = /^([^:\s]+): (.*)$/s.exec(part);
    if (!match?.[1] || match[2] === undefined) return { path: [root], message: part };
    const path = match[1] === "(root)" ? [] : match[1].split(".");
    return keepPaths
      ? { path: [root, ...path], message: match[2] }
      : { path: [root], message: describe(part) };
  });
  return fieldErrors(issues);
}

/** The upload as the engine's dataset JSON; CSV errors name the column list or the CSV at fault. */
function toDatasetJson(input: TabularInput): DatasetJson {
  if (input.format === "json") return input.data as DatasetJson;
  let json: DatasetJson;
  try {
    json = csvToDatasetJson(
      {
        format: "csv",
        csv: input.csv,
        inputs: input.inputs,
        targets: input.targets,
        errors: input.errors,
        ...(input.subset ? { subset: input.subset } : {}),
        ...(input.normalisation !== undefined ? { normalisation: input.normalisation } : {}),
      },
      datasetLimits,
    );
  } catch (err) {
    if (err instanceof DatasetLimitError) throw fieldError(err.path, err.detail);
    const message = err instanceof Error ? err.message : String(err);
    const field = /^(\w+): /.exec(message)?.[1];
    if (field && CSV_FIELDS.has(field)) throw fieldError([field], message.slice(field.length + 2));
    throw fieldError(["csv"], message);
  }
  return input.covariance
    ? { ...json, name: input.name, covariance: input.covariance }
    : { ...json, name: input.name };
}

/**
 * Where an engine error on the built JSON is reported: under `data` for JSON uploads (with the
 * engine's path), under `covariance` or `csv` for CSV uploads (engine paths into the built JSON name
 * nothing the uploader sent).
 */
function uploadField(input: TabularInput, path: (string | number)[]): (string | number)[] {
  if (input.format === "json") return ["data", ...path];
  return path[0] === "covariance" && input.covariance ? ["covariance"] : ["csv"];
}

/**
 * Validate with the engine: limits and shapes here (linear), the covariance blocks' Cholesky factors
 * off the event loop within a time and memory budget (validateDataset).
 */
async function validate(input: TabularInput, json: DatasetJson) {
  try {
    return (await validateDataset(json, datasetLimits)).json;
  } catch (err) {
    if (err instanceof DatasetLimitError) throw fieldError(uploadField(input, err.path), err.detail);
    if (!(err instanceof DatasetError)) throw err;
    if (err.path.length > 0) {
      const cell = input.format === "csv" ? csvCell(input, err.path) : null;
      throw fieldError(uploadField(input, err.path), cell ? `${cell}: ${err.detail}` : err.detail);
    }
    if (input.format === "json") throw datasetErrorToFields(err, "data", true);
    const covarianceProblem = /covariance/.test(err.message) && input.covariance;
    throw datasetErrorToFields(err, covarianceProblem ? "covariance" : "csv", false, (part) =>
      csvMessage(input, part),
    );
  }
}

/**
 * Everything a tabular upload is checked against, before the database: the dataset JSON to store and
 * its summary, or a BAD_REQUEST naming the field. No I/O; large covariance blocks are factorised in a
 * worker thread. Theories go through prepareTheory (theory.upload.ts), wholly in a worker.
 */
export async function prepareDataset(input: UploadDatasetInput) {
  if (input.format === "theory") throw new Error("a theory upload is prepared by prepareTheory");
  // Store the validated shape only: unknown keys in an upload are dropped, not kept.
  const json = await validate(input, toDatasetJson(input));
  const nPoints = json.subsets.reduce((n, s) => n + s.values.length, 0);
  const inputDim = json.subsets[0]?.inputs[0]?.length ?? 0;
  const summary = {
    nPoints,
    nOutputs: json.nOutputs,
    inputDim,
    inputNames: json.inputNames ?? Array.from({ length: inputDim }, (_, i) => `x${i}`),
    outputNames: json.outputNames ?? null,
    subsets: json.subsets.map((s) => ({ name: s.name, nPoints: s.values.length })),
    uncertainty: json.covariance ? "covariance" : "stat+sys",
    hasTruth: json.subsets.every((s) => s.truth),
  };
  return { json, summary };
}

export async function uploadDatasetHandler({ ctx, input }: { ctx: OrgContext; input: UploadDatasetInput }) {
  if (input.format === "theory") {
    const { json, summary } = await prepareTheory(theoryUploadSource(input));
    return storeDataset(ctx, { name: input.name, format: "theory", json, summary });
  }
  const { json, summary } = await prepareDataset(input);
  // The points go in as one JSON text parameter: through Prisma's argument tree a 50,000-point
  // dataset cost about a second of the web's event loop (nesting and the query compiler),
  // against tens of milliseconds for JSON.stringify.
  return storeDataset(ctx, { name: input.name, format: input.format, json: JSON.stringify(json), summary });
}

/**
 * A theory sent as files (the REST multipart upload, for theories past the JSON body cap): the form's
 * fields into the worker's source (theory.files.ts), then prepared and stored as any theory upload.
 */
export async function uploadTheoryFilesHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { contentType: string; body: Uint8Array };
}) {
  const { name, source } = theoryFilesSource(input.contentType, input.body);
  // the body was read for this upload alone: its buffer moves to the worker, not copied
  const { json, summary } = await prepareTheory(source, { transfer: true });
  return storeDataset(ctx, { name, format: "theory", json, summary });
}

/**
 * Characters of JSON per statement. A query's parameters pass through Prisma on the event loop, at a
 * cost that grows faster than their size: one 67 MB text parameter held the loop for 17 s on a loaded
 * 2-core machine (8 MB: 1.5 s). In parts of this size each statement holds it for milliseconds.
 */
export const STORE_PART_CHARS = 256 * 1024;

/**
 * The dataset's JSON as text parts of about `size` characters, never splitting a character (a UTF-8
 * sequence, or a UTF-16 surrogate pair, which Postgres would receive as U+FFFD).
 */
export function* jsonParts(json: string | Uint8Array, size = STORE_PART_CHARS): Generator<string> {
  if (typeof json === "string") {
    for (let at = 0; at < json.length; ) {
      let end = Math.min(at + size, json.length);
      const last = json.charCodeAt(end - 1);
      if (end < json.length && last >= 0xd800 && last <= 0xdbff) end = end - 1 > at ? end - 1 : end + 1;
      yield json.slice(at, end);
      at = end;
    }
    return;
  }
  const buf = Buffer.from(json.buffer, json.byteOffset, json.byteLength);
  for (let at = 0; at < buf.length; ) {
    let end = Math.min(at + size, buf.length);
    // back to the start of the character cut at `end`; forward past it when it began the part
    while (end > at && end < buf.length && (buf[end]! & 0xc0) === 0x80) end--;
    if (end === at) for (end = at + 1; end < buf.length && (buf[end]! & 0xc0) === 0x80; ) end++;
    yield buf.toString("utf8", at, end);
    at = end;
  }
}

/**
 * One dataset row, its JSON (validated already; text, or UTF-8 bytes from the theory worker) and its
 * audit entry, in one transaction. A JSON of more than one part goes into a temporary table part by
 * part and is put together by Postgres (jsonParts: the event loop stays free meanwhile).
 */
async function storeDataset(
  ctx: OrgContext,
  upload: {
    name: string;
    format: UploadDatasetInput["format"];
    json: string | Uint8Array;
    summary: { nPoints: number } & Record<string, unknown>;
  },
) {
  try {
    return await ctx.orgDb.$transaction(
      async (tx) => {
        const row = await tx.dataset.create({
          data: {
            orgId: ctx.org.id,
            name: upload.name,
            kind: upload.format === "theory" ? "theory" : "tabular",
            nPoints: upload.summary.nPoints,
            summary: upload.summary as Prisma.InputJsonObject,
            data: {},
            createdBy: ctx.user.id,
          },
          select: { id: true, name: true, kind: true, nPoints: true, summary: true, createdAt: true },
        });
        // Same transaction, same row; the JSON is what the worker or JSON.stringify wrote.
        let n = 0;
        let head = "{}";
        for (const part of jsonParts(upload.json)) {
          if (n === 0) head = part;
          else {
            if (n === 1) {
              await tx.$executeRaw`CREATE TEMP TABLE dataset_json_part (n int PRIMARY KEY, part text NOT NULL) ON COMMIT DROP`;
              await tx.$executeRaw`INSERT INTO dataset_json_part VALUES (0, ${head})`;
            }
            await tx.$executeRaw`INSERT INTO dataset_json_part VALUES (${n}, ${part})`;
          }
          n++;
        }
        if (n <= 1)
          await tx.$executeRaw`UPDATE "Dataset" SET "data" = ${head}::jsonb WHERE "id" = ${row.id} AND "orgId" = ${ctx.org.id}`;
        else
          await tx.$executeRaw`UPDATE "Dataset" SET "data" = (SELECT string_agg(part, '' ORDER BY n) FROM dataset_json_part)::jsonb WHERE "id" = ${row.id} AND "orgId" = ${ctx.org.id}`;
        // The quota, on the row as Postgres stores it (storedBytes' own measure, measured where the JSON
        // already is rather than sent again): over it, the transaction rolls back and nothing is kept.
        const [measured] = await tx.$queryRaw<{ b: number }[]>`
          SELECT (pg_column_size("data") + pg_column_size("summary"))::float8 AS "b"
          FROM "Dataset" WHERE "id" = ${row.id} AND "orgId" = ${ctx.org.id}`;
        await checkStorageQuota(tx, ctx.org.id, Number(measured?.b ?? 0), `this upload ("${upload.name}")`, {
          stored: true,
        });
        await recordAudit(tx, ctx, {
          action: "dataset.upload",
          target: row.id,
          data: { name: row.name, format: upload.format, nPoints: row.nPoints },
        });
        return row;
      },
      // A dataset near the size limits is megabytes of JSON to write: more than the default 5 s.
      { timeout: 120_000 },
    );
  } catch (err) {
    if (err instanceof StorageQuotaError) throw new TRPCError({ code: "BAD_REQUEST", message: err.message });
    if (isUniqueViolation(err)) {
      throw fieldError(
        ["name"],
        `a dataset named "${upload.name}" already exists in this organization`,
        "CONFLICT",
      );
    }
    // Postgres's program_limit_exceeded: "total size of jsonb array elements exceeds the maximum of
    // 268435455 bytes" (about 12 M FK entries, docs/operations.md "Stored size")
    const pg = `${String((err as { meta?: { code?: unknown } }).meta?.code ?? "")} ${(err as Error).message}`;
    if (/\b54000\b|jsonb .* exceeds the maximum/.test(pg))
      throw fieldError(
        [upload.format === "theory" ? "theory" : "data"],
        "too large to store: its JSON passes Postgres's jsonb limit of 255 MiB",
      );
    throw err;
  }
}
