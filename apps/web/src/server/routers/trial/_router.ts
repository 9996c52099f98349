import { orgProcedure, router } from "../../trpc";
import { listTrialsHandler } from "./list.handler";
import { ZListTrials } from "./list.schema";

export const trialRouter = router({
  list: orgProcedure("study:read")
    .input(ZListTrials)
    .query(({ ctx, input }) => listTrialsHandler({ ctx, input })),
});
