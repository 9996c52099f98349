import { orgProcedure, router } from "../../trpc";
import { createTokenHandler } from "./create.handler";
import { ZCreateToken, ZTokenRef } from "./create.schema";
import { listTokensHandler, revokeTokenHandler } from "./list.handler";

export const tokenRouter = router({
  list: orgProcedure("token:create").query(({ ctx }) => listTokensHandler({ ctx })),
  create: orgProcedure("token:create")
    .input(ZCreateToken)
    .mutation(({ ctx, input }) => createTokenHandler({ ctx, input })),
  revoke: orgProcedure("token:create")
    .input(ZTokenRef)
    .mutation(({ ctx, input }) => revokeTokenHandler({ ctx, input })),
});
