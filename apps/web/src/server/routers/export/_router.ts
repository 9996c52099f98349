import { orgProcedure, router } from "../../trpc";
import { exportStudyCsvHandler, exportStudyJsonHandler, exportStudyOptunaHandler } from "./study.handler";
import { ZExportStudy } from "./study.schema";

export const exportRouter = router({
  studyCsv: orgProcedure("export:read")
    .input(ZExportStudy)
    .query(({ ctx, input }) => exportStudyCsvHandler({ ctx, input })),
  studyJson: orgProcedure("export:read")
    .input(ZExportStudy)
    .query(({ ctx, input }) => exportStudyJsonHandler({ ctx, input })),
  studyOptuna: orgProcedure("export:read")
    .input(ZExportStudy)
    .query(({ ctx, input }) => exportStudyOptunaHandler({ ctx, input })),
});
