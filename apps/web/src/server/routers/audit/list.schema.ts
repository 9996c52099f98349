import { int } from "@hyperensemble/platform/schema";
import { z } from "zod";

export const ZListAudit = z.object({
  action: z.string().max(100).optional(),
  take: int("take", 1, 200).default(50),
  cursor: z.string().optional(),
});
export type ListAuditInput = z.output<typeof ZListAudit>;
