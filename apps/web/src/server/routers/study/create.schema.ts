import { createStudyInputSchema, INT32_MAX, int } from "@hyperensemble/platform/schema";
import { z } from "zod";
import { zTag } from "../../../lib/team-limits";

export const STUDY_SORTS = ["createdAt", "name", "state", "bestL1", "gpuSeconds", "trials"] as const;
/** The spec as REST's body carries it; tRPC adds the organisation (strict: unknown fields are named). */
export const ZCreateStudyBody = createStudyInputSchema;
export const ZCreateStudy = createStudyInputSchema.extend({ org: z.string() });
export const ZStudyRef = z.object({ studyId: z.string({ error: "studyId is required" }).min(1) });
const MAX_STUDY_PAGE_SIZE = 100;
export const ZListStudies = z.object({
  state: z.enum(["DRAFT", "QUEUED", "RUNNING", "PAUSED", "COMPLETED", "CANCELLED", "FAILED"]).optional(),
  take: int("take", 1, MAX_STUDY_PAGE_SIZE).default(50),
  cursor: z.string().optional(),
  /** Server-side sort, name filter and page (the web list); `cursor` stays for newest-first paging. */
  sort: z.enum(STUDY_SORTS).default("createdAt"),
  dir: z.enum(["asc", "desc"]).default("desc"),
  /** `q`: the name contains it (any case); `name`: the name is exactly it (find a study by name). */
  q: z.string().trim().max(120).optional(),
  name: z.string().max(120).optional(),
  /** Only the caller's own studies ("my studies"). */
  mine: z.boolean().optional(),
  /** Only studies with this tag (issue 20). */
  tag: zTag("tag").optional(),
  /** Archived studies: left out by default ("hide"), or "only" them, or "all"; a `name` lookup sees all. */
  archived: z.enum(["hide", "only", "all"], { error: "archived must be hide, only or all" }).optional(),
  // page × take is the OFFSET: kept within a Postgres integer.
  page: int("page", 0, Math.floor(INT32_MAX / MAX_STUDY_PAGE_SIZE)).optional(),
});
