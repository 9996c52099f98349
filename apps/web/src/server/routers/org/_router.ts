import { protectedProcedure, router } from "../../trpc";

export const orgRouter = router({
  /** The organizations the caller belongs to, with their role (for the switcher and landing page). */
  mine: protectedProcedure.query(async ({ ctx }) => {
    // Read through the user row: memberships across orgs are the caller's own, not a tenant query.
    const user = await ctx.db.user.findUnique({
      where: { id: ctx.principal.userId },
      include: {
        memberships: {
          include: { org: { select: { slug: true, name: true } } },
          orderBy: { createdAt: "asc" },
        },
      },
    });
    // An API token belongs to one org: it sees only that one.
    const tokenOrg = ctx.principal.orgId;
    return (user?.memberships ?? [])
      .filter((m) => tokenOrg === undefined || m.orgId === tokenOrg)
      .map((m) => ({ slug: m.org.slug, name: m.org.name, role: m.role }));
  }),
});
