import { LIMIT_NAMES, type LimitName } from "@hyperensemble/platform";
import { z } from "zod";

export const ZAdminSearch = z.object({
  search: z.string().trim().max(200, { error: "search is too long" }).default(""),
  take: z.number().int().min(1).max(200, { error: "take must be at most 200" }).default(50),
});

export const ZSetUserActive = z.object({
  userId: z.string({ error: "userId is required" }).min(1, { error: "userId is required" }),
  active: z.boolean({ error: "active must be true or false" }),
});

export const ZAdminOrgRef = z.object({
  orgSlug: z.string({ error: "orgSlug is required" }).min(1, { error: "orgSlug is required" }),
});

/** A limit's new value: a number, or null for the environment's default. */
const limitValue = (name: LimitName) =>
  z
    .number({ error: `${name} must be a number or null` })
    .refine((n) => Number.isFinite(n) && n >= 0, { error: `${name} must be a number >= 0` })
    .refine((n) => ["maxTrialCompute", "maxStudyCompute"].includes(name) || Number.isInteger(n), {
      error: `${name} must be a whole number`,
    })
    .refine((n) => n > 0 || name === "maxActiveTrials", {
      error: `${name} must be > 0, or null for the default`,
    })
    .nullable()
    .optional();

export const ZSetOrgLimits = ZAdminOrgRef.extend({
  limits: z
    .object(
      Object.fromEntries(LIMIT_NAMES.map((n) => [n, limitValue(n)])) as Record<
        LimitName,
        ReturnType<typeof limitValue>
      >,
    )
    .strict(),
});

export const ZAdminUsage = z.object({
  months: z.number().int().min(1).max(36, { error: "months must be at most 36" }).default(3),
});

export const ZAdminOutbox = z.object({
  take: z.number().int().min(1).max(200, { error: "take must be at most 200" }).default(50),
});
