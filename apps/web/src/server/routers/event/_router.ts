import { latestEventId } from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { orgProcedure, router } from "../../trpc";

export const ZEventScope = z.object({ studyId: z.string().min(1).max(100).optional() });

export const eventRouter = router({
  /**
   * Who may read which event stream (REST /events answers the stream itself): the study read
   * permission, and the study (when named) in this org. Returns where a fresh reader starts.
   */
  streamScope: orgProcedure("study:read")
    .input(ZEventScope)
    .query(async ({ ctx, input }) => {
      if (input.studyId) {
        const study = await ctx.orgDb.study.findFirst({
          where: { id: input.studyId, orgId: ctx.org.id },
          select: { id: true },
        });
        if (!study) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
      }
      const studyId = input.studyId ?? null;
      const latest = await latestEventId(ctx.orgDb, { orgId: ctx.org.id, studyId });
      return { orgId: ctx.org.id, studyId, latestId: latest.toString() };
    }),
});
