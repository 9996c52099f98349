import { z } from "zod";

export const EXPORT_FORMATS = ["csv", "json", "optuna"] as const;
export const ZExportStudy = z.object({ studyId: z.string({ error: "studyId is required" }).min(1) });
export type ExportStudyInput = z.output<typeof ZExportStudy>;
