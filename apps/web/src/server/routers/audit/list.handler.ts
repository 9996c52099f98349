import type { OrgContext } from "../../context-types";
import type { ListAuditInput } from "./list.schema";

export async function listAuditHandler({ ctx, input }: { ctx: OrgContext; input: ListAuditInput }) {
  const events = await ctx.orgDb.auditEvent.findMany({
    where: { orgId: ctx.org.id, ...(input.action ? { action: input.action } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.take + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  const page = events.slice(0, input.take);
  const actorIds = [...new Set(page.flatMap((e) => (e.actorId ? [e.actorId] : [])))];
  // Actors are looked up through this org's memberships: a former member shows as their id only.
  const members = await ctx.orgDb.membership.findMany({
    where: { orgId: ctx.org.id, userId: { in: actorIds } },
    select: { userId: true, user: { select: { email: true, name: true } } },
  });
  const actor = new Map(members.map((m) => [m.userId, m.user.name ?? m.user.email]));
  return {
    items: page.map((e) => ({
      id: e.id,
      action: e.action,
      target: e.target,
      data: e.data,
      actorId: e.actorId,
      actor: e.actorId ? (actor.get(e.actorId) ?? null) : null,
      createdAt: e.createdAt,
    })),
    nextCursor: events.length > input.take ? (page.at(-1)?.id ?? null) : null,
  };
}
