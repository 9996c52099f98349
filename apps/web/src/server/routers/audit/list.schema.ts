import { z } from "zod";

export const ZListAudit = z.object({
  action: z.string().max(100).optional(),
  take: z.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});
export type ListAuditInput = z.output<typeof ZListAudit>;
