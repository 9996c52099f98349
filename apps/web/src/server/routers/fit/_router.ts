import { orgProcedure, router } from "../../trpc";
import {
  createFitHandler,
  evaluateFitHandler,
  exportFitHandler,
  getFitHandler,
  listFitsHandler,
} from "./handlers";
import { ZCompareFits, ZCreateFit, ZFitEvaluate, ZFitExport, ZFitRef, ZListFits } from "./schema";
import { compareFitsHandler, fitBandsHandler } from "./view.handlers";

// Final fits (issue 16): permissions as studies' (a fit is part of its study); exports as study exports.
export const fitRouter = router({
  create: orgProcedure("study:write")
    .input(ZCreateFit)
    .mutation(({ ctx, input }) => createFitHandler({ ctx, input })),
  get: orgProcedure("study:read")
    .input(ZFitRef)
    .query(({ ctx, input }) => getFitHandler({ ctx, input })),
  list: orgProcedure("study:read")
    .input(ZListFits)
    .query(({ ctx, input }) => listFitsHandler({ ctx, input })),
  bands: orgProcedure("study:read")
    .input(ZFitRef)
    .query(({ ctx, input }) => fitBandsHandler({ ctx, input })),
  compare: orgProcedure("study:read")
    .input(ZCompareFits)
    .query(({ ctx, input }) => compareFitsHandler({ ctx, input })),
  export: orgProcedure("export:read")
    .input(ZFitExport)
    .query(({ ctx, input }) => exportFitHandler({ ctx, input })),
  evaluate: orgProcedure("export:read")
    .input(ZFitEvaluate)
    .mutation(({ ctx, input }) => evaluateFitHandler({ ctx, input })),
});
