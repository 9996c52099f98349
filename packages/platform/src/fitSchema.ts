import { z } from "zod";
import type { PostfitRule } from "./fitTrain.ts";

/** A final fit's inputs (fit.ts); apart so the web's schemas load no engine. */
export const MAX_FIT_REPLICAS = 1000;

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
