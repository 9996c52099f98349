import { z } from "zod";
import { ZStudyRef } from "./create.schema";

const paramValue = z.union([z.number(), z.string().max(256), z.boolean()]);

/** Known configurations to evaluate first (Optuna's enqueue_trial), each parameter name → value. */
export const ZEnqueueConfigurations = ZStudyRef.extend({
  configurations: z
    .array(z.record(z.string().max(128), paramValue), { error: "configurations must be a list of objects" })
    .min(1, { error: "configurations must not be empty" })
    .max(1000, { error: "configurations takes at most 1000 at once" }),
});
