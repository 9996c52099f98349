import { TRPCError } from "@trpc/server";
import { studyEventStream } from "../../events";
import { orgProcedure, router } from "../../trpc";
import { compareStudiesHandler } from "./compare.handler";
import { cloneStudyHandler, controlStudyHandler } from "./control.handler";
import { ZAddTrials, ZCloneStudy } from "./control.schema";
import { createStudyHandler } from "./create.handler";
import { ZCreateStudy, ZListStudies, ZStudyRef } from "./create.schema";
import { deleteStudyHandler, enqueueConfigurationsHandler } from "./manage.handler";
import { ZEnqueueConfigurations } from "./manage.schema";
import { studyOverviewHandler } from "./overview.handler";
import { studyPlotsHandler } from "./plots.handler";
import { getStudyHandler, listStudiesHandler } from "./read.handler";
import { studyTrialHandler, studyTrialsHandler } from "./trials.handler";
import { ZCompareStudies, ZStudyTrials, ZTrialRef } from "./view.schema";

export const studyRouter = router({
  list: orgProcedure("study:read")
    .input(ZListStudies)
    .query(({ ctx, input }) => listStudiesHandler({ ctx, input })),
  get: orgProcedure("study:read")
    .input(ZStudyRef)
    .query(({ ctx, input }) => getStudyHandler({ ctx, input })),
  overview: orgProcedure("study:read")
    .input(ZStudyRef)
    .query(({ ctx, input }) => studyOverviewHandler({ ctx, input })),
  trials: orgProcedure("study:read")
    .input(ZStudyTrials)
    .query(({ ctx, input }) => studyTrialsHandler({ ctx, input })),
  trial: orgProcedure("study:read")
    .input(ZTrialRef)
    .query(({ ctx, input }) => studyTrialHandler({ ctx, input })),
  plots: orgProcedure("study:read")
    .input(ZStudyRef)
    .query(({ ctx, input }) => studyPlotsHandler({ ctx, input })),
  compare: orgProcedure("study:read")
    .input(ZCompareStudies)
    .query(({ ctx, input }) => compareStudiesHandler({ ctx, input })),
  create: orgProcedure("study:write")
    .input(ZCreateStudy)
    .mutation(({ ctx, input }) => createStudyHandler({ ctx, input })),
  pause: orgProcedure("study:write")
    .input(ZStudyRef)
    .mutation(({ ctx, input }) => controlStudyHandler({ ctx, input, action: "pause" })),
  resume: orgProcedure("study:write")
    .input(ZStudyRef)
    .mutation(({ ctx, input }) => controlStudyHandler({ ctx, input, action: "resume" })),
  cancel: orgProcedure("study:write")
    .input(ZStudyRef)
    .mutation(({ ctx, input }) => controlStudyHandler({ ctx, input, action: "cancel" })),
  addTrials: orgProcedure("study:write")
    .input(ZAddTrials)
    .mutation(({ ctx, input }) => controlStudyHandler({ ctx, input, action: "addTrials" })),
  rerunFailed: orgProcedure("study:write")
    .input(ZStudyRef)
    .mutation(({ ctx, input }) => controlStudyHandler({ ctx, input, action: "rerunFailed" })),
  clone: orgProcedure("study:write")
    .input(ZCloneStudy)
    .mutation(({ ctx, input }) => cloneStudyHandler({ ctx, input })),
  delete: orgProcedure("study:write")
    .input(ZStudyRef)
    .mutation(({ ctx, input }) => deleteStudyHandler({ ctx, input })),
  enqueue: orgProcedure("study:write")
    .input(ZEnqueueConfigurations)
    .mutation(({ ctx, input }) => enqueueConfigurationsHandler({ ctx, input })),
  onChange: orgProcedure("study:read")
    .input(ZStudyRef)
    .subscription(async function* ({ ctx, input, signal }) {
      const exists = await ctx.orgDb.study.findFirst({
        where: { id: input.studyId, orgId: ctx.org.id },
        select: { id: true },
      });
      if (!exists) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
      yield* studyEventStream(ctx.org.id, input.studyId, signal);
    }),
});
