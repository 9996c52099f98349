import type { Db } from "@hyperensemble/db";
import { orgProcedure, protectedProcedure, router } from "../../trpc";
import { acceptInvitationHandler, previewInvitationHandler } from "./accept.handler";
import { createInvitationHandler, listInvitationsHandler, revokeInvitationHandler } from "./create.handler";
import { ZCreateInvitation, ZInvitationRef, ZInvitationToken } from "./create.schema";

const signedIn = (ctx: { db: Db; principal: { userId: string; tokenId?: string } }) => ({
  db: ctx.db,
  user: { id: ctx.principal.userId },
  tokenId: ctx.principal.tokenId,
});

export const invitationRouter = router({
  list: orgProcedure("member:manage").query(({ ctx }) => listInvitationsHandler({ ctx })),
  create: orgProcedure("member:manage")
    .input(ZCreateInvitation)
    .mutation(({ ctx, input }) => createInvitationHandler({ ctx, input })),
  revoke: orgProcedure("member:manage")
    .input(ZInvitationRef)
    .mutation(({ ctx, input }) => revokeInvitationHandler({ ctx, input })),
  // Not org procedures: the caller is not a member yet. The secret link is the capability, and
  // the signed-in user's email must match the invitation's.
  preview: protectedProcedure
    .input(ZInvitationToken)
    .query(({ ctx, input }) => previewInvitationHandler({ ctx: signedIn(ctx), input })),
  accept: protectedProcedure
    .input(ZInvitationToken)
    .mutation(({ ctx, input }) => acceptInvitationHandler({ ctx: signedIn(ctx), input })),
});
