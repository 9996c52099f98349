import {
  createFitInputSchema,
  FIT_EXPORT_FORMATS,
  fitEvaluateBodySchema,
} from "@hyperensemble/platform/schema";
import { z } from "zod";

/** The fit spec as REST's body carries it (the study from the path); tRPC adds the organisation. */
export const ZCreateFitBody = createFitInputSchema.omit({ studyId: true });
export const ZCreateFit = createFitInputSchema.extend({ org: z.string() });
export const ZFitRef = z.object({ fitId: z.string({ error: "fitId is required" }).min(1).max(100) });
export const ZListFits = z.object({ studyId: z.string({ error: "studyId is required" }).min(1).max(100) });
export const ZFitExport = ZFitRef.extend({
  format: z.enum(FIT_EXPORT_FORMATS, { error: `format must be one of ${FIT_EXPORT_FORMATS.join(", ")}` }),
});
export const ZCompareFits = z.object({
  a: z.string({ error: "a (a fit's id) is required" }).min(1).max(100),
  b: z.string({ error: "b (a fit's id) is required" }).min(1).max(100),
});
/** fit.evaluate: the fit, and the feature rows (REST's body). */
export const ZFitEvaluateBody = fitEvaluateBodySchema;
export const ZFitEvaluate = fitEvaluateBodySchema.extend({
  org: z.string(),
  fitId: z.string({ error: "fitId is required" }).min(1).max(100),
});
