import { orgProcedure, router } from "../../trpc";
import { studyTimelineHandler } from "./timeline.handler";
import { ZStudyTimeline } from "./timeline.schema";

/** Search views beyond the study page's default charts (issue 20): the per-runner timeline. */
export const viewsRouter = router({
  timeline: orgProcedure("study:read")
    .input(ZStudyTimeline)
    .query(({ ctx, input }) => studyTimelineHandler({ ctx, input })),
});
