import { z } from "zod";
import { datasetLimits } from "./limits";

/**
 * Uploads larger than this are refused before anything is parsed or stored (HENS_DATASET_MAX_BYTES,
 * default 10 MB); the other dataset limits are checked by the handler before anything is allocated.
 */
export const MAX_DATASET_BYTES = datasetLimits.maxSourceBytes;

/** A dataset's name (every upload form, the multipart theory upload's `name` field too). */
export const ZDatasetName = z
  .string({ error: "name is required" })
  .trim()
  .min(1, { error: "name is required" })
  .max(120, { error: "name must be at most 120 characters" })
  .regex(/^[\w .+-]+$/, { error: "name may use letters, digits, space and _ . + - only" });

const columns = (field: string) =>
  z
    .array(z.string().min(1, { error: `${field}: column names cannot be empty` }), {
      error: `${field} must be a list of column names`,
    })
    .min(1, { error: `${field}: name at least one column` });

const finiteMatrix = z.array(
  z.array(z.number().refine(Number.isFinite, { error: "must be a finite number" })),
);

/** JSON in the engine's dataset format (subsets with stat/sys errors, or a covariance). */
export const ZJsonDataset = z.object({
  format: z.literal("json"),
  name: ZDatasetName,
  data: z.unknown().superRefine((data, ctx) => {
    if (data === undefined) ctx.addIssue({ code: "custom", message: "data is required" });
    else if (JSON.stringify(data).length > MAX_DATASET_BYTES)
      ctx.addIssue({ code: "custom", message: `data is larger than ${MAX_DATASET_BYTES} bytes` });
  }),
});

/** CSV text with named feature/target/error columns, optionally with a full covariance. */
export const ZCsvDataset = z.object({
  format: z.literal("csv"),
  name: ZDatasetName,
  csv: z
    .string({ error: "csv must be the CSV text" })
    .min(1, { error: "csv is empty" })
    .max(MAX_DATASET_BYTES, { error: `csv is larger than ${MAX_DATASET_BYTES} bytes` }),
  inputs: columns("inputs"),
  targets: columns("targets"),
  errors: columns("errors"),
  subset: z.string().min(1).optional(),
  normalisation: z.number().min(0, { error: "normalisation must be >= 0" }).optional(),
  /** Full covariance over all points (rows in file order, targets interleaved per row). */
  covariance: finiteMatrix.optional(),
});

const base64 = (field: string) =>
  z
    .string({ error: `${field} must be base64 text` })
    .max(Math.ceil((MAX_DATASET_BYTES * 4) / 3) + 4, {
      error: `${field} is larger than ${MAX_DATASET_BYTES} bytes`,
    })
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: `${field} must be base64 text` });

/**
 * A theory (tasks/theory.ts): the whole theory as JSON (`theory`), or its JSON fields (`meta`) with
 * the arrays as one .npz (`npz`, base64) or .npy files keyed by their path (`arrays`, base64 each).
 */
export const ZTheoryDataset = z
  .object({
    format: z.literal("theory"),
    name: ZDatasetName,
    theory: z.unknown().optional(),
    meta: z.unknown().optional(),
    npz: base64("npz").optional(),
    arrays: z.record(z.string().min(1).max(200), base64("arrays")).optional(),
  })
  .superRefine((t, ctx) => {
    const sources = [t.theory, t.npz, t.arrays].filter((v) => v !== undefined).length;
    if (sources !== 1)
      ctx.addIssue({
        code: "custom",
        message: "give exactly one of theory, npz or arrays",
        path: ["theory"],
      });
    if (t.theory !== undefined && JSON.stringify(t.theory).length > MAX_DATASET_BYTES)
      ctx.addIssue({
        code: "custom",
        message: `theory is larger than ${MAX_DATASET_BYTES} bytes`,
        path: ["theory"],
      });
    if (t.theory === undefined && t.meta === undefined)
      ctx.addIssue({
        code: "custom",
        message: "meta (the theory's JSON fields) goes with npz or arrays",
        path: ["meta"],
      });
    const arrayBytes = Object.values(t.arrays ?? {}).reduce((n, a) => n + a.length, 0);
    if (arrayBytes > Math.ceil((MAX_DATASET_BYTES * 4) / 3) + 4)
      ctx.addIssue({
        code: "custom",
        message: `arrays are larger than ${MAX_DATASET_BYTES} bytes`,
        path: ["arrays"],
      });
  });

export const ZUploadDataset = z.discriminatedUnion("format", [ZJsonDataset, ZCsvDataset, ZTheoryDataset], {
  error: 'format must be "json", "csv" or "theory"',
});
export type UploadDatasetInput = z.output<typeof ZUploadDataset>;

export const ZDatasetRef = z.object({ datasetId: z.string({ error: "datasetId is required" }).min(1) });
export type DatasetRefInput = z.output<typeof ZDatasetRef>;

/**
 * The multipart theory upload as the REST route hands it over (the body read within
 * HENS_THEORY_MAX_BYTES): the form is split and checked by uploadTheoryFilesHandler.
 */
export const ZUploadTheoryFiles = z.union([
  z.object({
    contentType: z.string(),
    body: z.instanceof(Uint8Array, { error: "send the theory as multipart/form-data" }),
  }),
  /**
   * Asked by the REST route before it reads a byte of the body: the org check and the role/scope
   * check (orgProcedure, the one place tenancy is decided) answer first, so a caller who may not upload
   * here never makes the server read up to HENS_THEORY_MAX_BYTES.
   */
  z.object({ authorizeOnly: z.literal(true) }),
]);
