import { z } from "zod";

export const EXPORT_FORMATS = ["csv", "json", "optuna"] as const;
export const ZExportStudy = z.object({
  studyId: z.string({ error: "studyId is required" }).min(1),
  // Each format has its own procedure; REST passes ?format= along so an unknown one is a 400 naming it.
  format: z.enum(EXPORT_FORMATS, { error: `format must be one of ${EXPORT_FORMATS.join(", ")}` }).optional(),
});
export type ExportStudyInput = z.output<typeof ZExportStudy>;
