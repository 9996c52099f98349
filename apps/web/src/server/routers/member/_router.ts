import { orgProcedure, router } from "../../trpc";
import { listMembersHandler } from "./list.handler";
import { removeMemberHandler, updateMemberRoleHandler } from "./update.handler";
import { ZMemberRef, ZUpdateMemberRole } from "./update.schema";

export const memberRouter = router({
  list: orgProcedure("member:read").query(({ ctx }) => listMembersHandler({ ctx })),
  updateRole: orgProcedure("member:manage")
    .input(ZUpdateMemberRole)
    .mutation(({ ctx, input }) => updateMemberRoleHandler({ ctx, input })),
  remove: orgProcedure("member:manage")
    .input(ZMemberRef)
    .mutation(({ ctx, input }) => removeMemberHandler({ ctx, input })),
});
