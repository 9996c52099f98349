import { userMemberships } from "@hyperensemble/db";
import { orgLimits } from "@hyperensemble/platform";
import { env } from "../../../env";
import { signupMode } from "../../accounts";
import type { Role } from "../../permissions";
import { orgProcedure, protectedProcedure, router, sessionProcedure } from "../../trpc";
import {
  createOrgHandler,
  deleteOrgHandler,
  leaveOrgHandler,
  renameOrgHandler,
  transferOwnershipHandler,
} from "./manage.handler";
import { ZCreateOrg, ZDeleteOrg, ZOrgUsage, ZRenameOrg, ZTransferOwnership } from "./schema";
import { orgUsage } from "./usage.handler";

export const orgRouter = router({
  /** The organizations the caller belongs to, with their role (for the switcher and landing page). */
  mine: protectedProcedure.query(async ({ ctx }) => {
    // The caller's own memberships across orgs (not a tenant query), through the lookup pool: the
    // switcher asks on every page, and through Prisma's nested include it cost ~2× a whole API call.
    const memberships = await userMemberships(ctx.db, ctx.principal.userId);
    // An API token belongs to one org: it sees only that one.
    const tokenOrg = ctx.principal.orgId;
    return memberships
      .filter((m) => tokenOrg === undefined || m.orgId === tokenOrg)
      .map((m) => ({ slug: m.slug, name: m.name, role: m.role as Role }));
  }),
  /** A new organisation with the caller as OWNER (who may: HENS_SIGNUP). */
  create: sessionProcedure
    .input(ZCreateOrg)
    .mutation(({ ctx, input }) =>
      createOrgHandler({ ctx, input, signup: signupMode, platformAdmins: env.HENS_PLATFORM_ADMINS }),
    ),
  rename: orgProcedure("org:manage")
    .input(ZRenameOrg)
    .mutation(({ ctx, input }) => renameOrgHandler({ ctx, input })),
  transferOwnership: orgProcedure("org:manage")
    .input(ZTransferOwnership)
    .mutation(({ ctx, input }) => transferOwnershipHandler({ ctx, input })),
  leave: orgProcedure("org:leave").mutation(({ ctx }) => leaveOrgHandler({ ctx })),
  delete: orgProcedure("org:delete")
    .input(ZDeleteOrg)
    .mutation(({ ctx, input }) => deleteOrgHandler({ ctx, input })),
  usage: orgProcedure("study:read")
    .input(ZOrgUsage)
    .query(async ({ ctx, input }) => ({
      ...(await orgUsage(ctx.db, [ctx.org.id], input.months)),
      /** The quota storageBytes is checked against (maxStorageBytes, the override or the default). */
      storageQuotaBytes: (await orgLimits(ctx.db, ctx.org.id)).limits.maxStorageBytes,
    })),
});
