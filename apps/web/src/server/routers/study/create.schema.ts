import { createStudyInputSchema } from "@hyperensemble/platform/schema";
import { z } from "zod";

export const ZCreateStudy = createStudyInputSchema;
export const ZStudyRef = z.object({ studyId: z.string({ error: "studyId is required" }).min(1) });
export const ZListStudies = z.object({
  state: z.enum(["DRAFT", "QUEUED", "RUNNING", "PAUSED", "COMPLETED", "CANCELLED", "FAILED"]).optional(),
  take: z.number().int().min(1).max(100).default(50),
  cursor: z.string().optional(),
});
