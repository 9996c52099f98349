import { orgProcedure, router } from "../../trpc";
import { askHandler, heartbeatHandler, pointsHandler, reportHandler, tellHandler } from "./external.handler";
import { ZAsk, ZHeartbeat, ZPoints, ZReport, ZTell } from "./external.schema";

// External trials: the user's own code trains what the platform samples (docs/api.md). Writing
// needs trial:write (token scope trials:write); the data read needs study:read.
export const externalRouter = router({
  ask: orgProcedure("trial:write")
    .input(ZAsk)
    .mutation(({ ctx, input }) => askHandler({ ctx, input })),
  heartbeat: orgProcedure("trial:write")
    .input(ZHeartbeat)
    .mutation(({ ctx, input }) => heartbeatHandler({ ctx, input })),
  report: orgProcedure("trial:write")
    .input(ZReport)
    .mutation(({ ctx, input }) => reportHandler({ ctx, input })),
  tell: orgProcedure("trial:write")
    .input(ZTell)
    .mutation(({ ctx, input }) => tellHandler({ ctx, input })),
  points: orgProcedure("study:read")
    .input(ZPoints)
    .query(({ ctx, input }) => pointsHandler({ ctx, input })),
});
