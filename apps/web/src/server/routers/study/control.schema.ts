import { z } from "zod";
import { ZStudyRef } from "./create.schema";

export const ZAddTrials = ZStudyRef.extend({
  count: z
    .number({ error: "count must be a number" })
    .int({ error: "count must be a whole number" })
    .min(1, { error: "count must be at least 1" })
    .max(1000, { error: "count must be at most 1000" }),
});
export const ZCloneStudy = ZStudyRef.extend({
  name: z
    .string()
    .trim()
    .min(1, { error: "name is required" })
    .max(120, { error: "name must be at most 120 characters" })
    .optional(),
});
