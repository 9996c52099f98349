import { z } from "zod";
import type { PostfitRule } from "./fitTrain.ts";

/**
 * A final fit's inputs (fit.ts); apart so the web's schemas load no engine. The schema's ceiling on
 * replicas; the organisation's limit (limits.ts maxFitReplicas, 1,000 by default, raised where the
 * runners have GPUs) is checked by createFit.
 */
export const MAX_FIT_REPLICAS = 100_000;

/** NNPDF postfit's defaults: 4σ in χ², no negative positivity observable. */
export const DEFAULT_POSTFIT_RULE: PostfitRule = { chi2Sigma: 4, positivityTolerance: 1e-6 };

export const postfitRuleSchema = z.strictObject({
  chi2Sigma: z.number().positive().max(100),
  positivityTolerance: z.number().min(0).max(1e6),
  integrabilityThreshold: z.number().positive().optional(),
});

export const createFitInputSchema = z.strictObject({
  studyId: z.string().min(1).max(100),
  /** A trial's number; absent: the study's selected configuration. */
  trial: z.number().int().min(0).optional(),
  replicas: z.number().int().min(1).max(MAX_FIT_REPLICAS),
  rule: postfitRuleSchema.optional(),
});
export type CreateFitInput = z.infer<typeof createFitInputSchema>;

export const FIT_EXPORT_FORMATS = ["lhapdf", "weights", "json"] as const;
export type FitExportFormat = (typeof FIT_EXPORT_FORMATS)[number];

/**
 * Evaluating a fit's kept replicas on feature rows the user gives (fit.evaluate): at most
 * MAX_EVALUATE_ROWS rows and MAX_EVALUATE_CELLS rows × kept replicas, so that one request's work on
 * the web's event loop stays bounded (≈ 50,000 small MLP evaluations, tens of milliseconds).
 */
export const MAX_EVALUATE_ROWS = 200;
export const MAX_EVALUATE_CELLS = 50_000;
export const FIT_EVALUATE_FORMATS = ["json", "csv"] as const;
export const fitEvaluateBodySchema = z.strictObject({
  rows: z
    .array(z.array(z.number().finite("must be a finite number")).min(1).max(64), {
      error: "rows must be an array of feature rows (arrays of numbers)",
    })
    .min(1)
    .max(MAX_EVALUATE_ROWS, `at most ${MAX_EVALUATE_ROWS} rows`),
  format: z.enum(FIT_EVALUATE_FORMATS).default("json"),
});
export type FitEvaluateBody = z.infer<typeof fitEvaluateBodySchema>;
