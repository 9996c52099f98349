import { orgProcedure, router } from "../../trpc";
import { listAuditHandler } from "./list.handler";
import { ZListAudit } from "./list.schema";

export const auditRouter = router({
  list: orgProcedure("audit:read")
    .input(ZListAudit)
    .query(({ ctx, input }) => listAuditHandler({ ctx, input })),
});
