import { userMemberships } from "@hyperensemble/db";
import type { Role } from "../../permissions";
import { protectedProcedure, router } from "../../trpc";

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
});
