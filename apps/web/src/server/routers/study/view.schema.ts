import { INT32_MAX, int } from "@hyperensemble/platform/schema";
import { z } from "zod";
import { TRIAL_SORTS, ZTrialFilters, ZTrialSort } from "../../../lib/trial-filters";

export { TRIAL_SORTS };

import { ZStudyRef } from "./create.schema";

export const TRIAL_STATE_FILTERS = ["WAITING", "RUNNING", "COMPLETE", "PRUNED", "FAIL"] as const;

const MAX_TRIAL_PAGE_SIZE = 200;

/** One page of a study's trials, sorted and filtered in the database (studies have 10k+ trials). */
export const ZStudyTrials = ZStudyRef.extend({
  /** A fixed column, or `param:<name>` (numbers numerically, then text; trials without it last). */
  sort: ZTrialSort.default("number"),
  dir: z.enum(["asc", "desc"]).default("asc"),
  state: z.enum(TRIAL_STATE_FILTERS).optional(),
  /** `name=value` on one parameter (numbers compare exactly, strings as written). */
  param: z
    .string()
    .max(200)
    .regex(/^[\w\-/]+=.+$/, { error: "param filter must look like name=value" })
    .optional(),
  /** Range filters per parameter and on the objective (AND): the table's and the brush's. */
  filters: ZTrialFilters.optional(),
  // page × pageSize is the OFFSET: both stay within Postgres integers (400 naming the field, never a 500).
  page: int("page", 0, Math.floor(INT32_MAX / MAX_TRIAL_PAGE_SIZE)).default(0),
  pageSize: int("pageSize", 1, MAX_TRIAL_PAGE_SIZE).default(50),
});
export type StudyTrialsInput = z.output<typeof ZStudyTrials>;

export const ZTrialRef = ZStudyRef.extend({ number: int("number", 0, INT32_MAX) });
export type TrialRefInput = z.output<typeof ZTrialRef>;

export const ZCompareStudies = z.object({
  studyIds: z
    .array(z.string().min(1))
    .min(2, { error: "studyIds: pick at least 2 studies" })
    .max(6, { error: "studyIds: pick at most 6 studies" }),
});
export type CompareStudiesInput = z.output<typeof ZCompareStudies>;
