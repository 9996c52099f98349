import type { OrgContext } from "../../context-types";

export async function listMembersHandler({ ctx }: { ctx: OrgContext }) {
  const members = await ctx.orgDb.membership.findMany({
    where: { orgId: ctx.org.id },
    orderBy: { createdAt: "asc" },
    select: {
      userId: true,
      role: true,
      createdAt: true,
      user: { select: { email: true, name: true } },
    },
  });
  return {
    items: members.map((m) => ({
      userId: m.userId,
      email: m.user.email,
      name: m.user.name,
      role: m.role,
      joinedAt: m.createdAt,
    })),
  };
}
