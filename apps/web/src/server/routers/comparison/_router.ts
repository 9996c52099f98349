import { orgProcedure, router } from "../../trpc";
import {
  createComparisonHandler,
  deleteComparisonHandler,
  getComparisonHandler,
  listComparisonsHandler,
} from "./handlers";
import { ZComparisonRef, ZCreateComparison } from "./schema";

// Saved comparisons (issue 20): viewers open them, members save and delete them.
export const comparisonRouter = router({
  list: orgProcedure("study:read").query(({ ctx }) => listComparisonsHandler({ ctx })),
  get: orgProcedure("study:read")
    .input(ZComparisonRef)
    .query(({ ctx, input }) => getComparisonHandler({ ctx, input })),
  create: orgProcedure("study:write")
    .input(ZCreateComparison)
    .mutation(({ ctx, input }) => createComparisonHandler({ ctx, input })),
  delete: orgProcedure("study:write")
    .input(ZComparisonRef)
    .mutation(({ ctx, input }) => deleteComparisonHandler({ ctx, input })),
});
