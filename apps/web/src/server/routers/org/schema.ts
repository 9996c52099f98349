import { z } from "zod";
import { ZOrgName, ZOrgSlug } from "./slug";

export const ZCreateOrg = z.object({ name: ZOrgName, slug: ZOrgSlug });
export type CreateOrgInput = z.output<typeof ZCreateOrg>;

/** A new name, and optionally a new slug (the old one is free at once and answers 404). */
export const ZRenameOrg = z.object({ name: ZOrgName, slug: ZOrgSlug.optional() });

export const ZTransferOwnership = z.object({
  userId: z.string({ error: "userId is required" }).min(1, { error: "userId is required" }),
});

/** The slug typed again: deleting is not undone. */
export const ZDeleteOrg = z.object({
  confirm: z.string({ error: "confirm is required" }).min(1, { error: "confirm is required" }),
});

export const ZOrgUsage = z.object({
  months: z
    .number({ error: "months must be a number" })
    .int({ error: "months must be a whole number" })
    .min(1, { error: "months must be at least 1" })
    .max(36, { error: "months must be at most 36" })
    .default(12),
});
