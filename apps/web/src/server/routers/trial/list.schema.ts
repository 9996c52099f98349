import { INT32_MAX, int } from "@hyperensemble/platform/schema";
import { z } from "zod";

export const TRIAL_STATES = ["WAITING", "RUNNING", "COMPLETE", "PRUNED", "FAIL"] as const;

export const ZListTrials = z.object({
  studyId: z.string({ error: "studyId is required" }).min(1),
  state: z.enum(TRIAL_STATES, { error: `state must be one of ${TRIAL_STATES.join(", ")}` }).optional(),
  /** Trials with a number greater than this (pagination by trial number). */
  after: int("after", -1, INT32_MAX).default(-1),
  take: int("take", 1, 1000).default(200),
});
export type ListTrialsInput = z.output<typeof ZListTrials>;
