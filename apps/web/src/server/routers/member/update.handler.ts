import type { DbTransaction } from "@hyperensemble/db";
import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { recordAudit } from "../audit/record";
import { fieldError } from "../field-error";
import type { MemberRefInput, UpdateMemberRoleInput } from "./update.schema";

/**
 * Role changes and removals run under a per-org advisory lock, so two admins demoting the two
 * remaining owners at once cannot leave the org without an owner.
 */
export async function lockMembers(tx: DbTransaction, orgId: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`members:${orgId}`}))`;
}

async function loadTarget(tx: DbTransaction, ctx: OrgContext, userId: string) {
  const target = await tx.membership.findFirst({
    where: { orgId: ctx.org.id, userId },
    select: { id: true, role: true },
  });
  if (!target) throw new TRPCError({ code: "NOT_FOUND", message: "member not found" });
  return target;
}

async function assertNotLastOwner(tx: DbTransaction, ctx: OrgContext, field: string) {
  const owners = await tx.membership.count({ where: { orgId: ctx.org.id, role: "OWNER" } });
  if (owners <= 1) throw fieldError([field], "the organization's last OWNER cannot be demoted or removed");
}

/** Only an OWNER may make someone OWNER or change an OWNER's role. */
function assertMayTouchOwners(ctx: OrgContext, involvesOwner: boolean) {
  if (involvesOwner && ctx.role !== "OWNER") {
    throw new TRPCError({ code: "FORBIDDEN", message: "only an OWNER can grant or change the OWNER role" });
  }
}

export async function updateMemberRoleHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: UpdateMemberRoleInput;
}) {
  return ctx.orgDb.$transaction(async (tx) => {
    await lockMembers(tx, ctx.org.id);
    const target = await loadTarget(tx, ctx, input.userId);
    assertMayTouchOwners(ctx, target.role === "OWNER" || input.role === "OWNER");
    if (target.role === input.role) return { userId: input.userId, role: input.role };
    if (target.role === "OWNER") await assertNotLastOwner(tx, ctx, "role");
    await tx.membership.updateMany({
      where: { id: target.id, orgId: ctx.org.id },
      data: { role: input.role },
    });
    await recordAudit(tx, ctx, {
      action: "member.role",
      target: input.userId,
      data: { from: target.role, to: input.role },
    });
    return { userId: input.userId, role: input.role };
  });
}

export async function removeMemberHandler({ ctx, input }: { ctx: OrgContext; input: MemberRefInput }) {
  return ctx.orgDb.$transaction(async (tx) => {
    await lockMembers(tx, ctx.org.id);
    const target = await loadTarget(tx, ctx, input.userId);
    assertMayTouchOwners(ctx, target.role === "OWNER");
    if (target.role === "OWNER") await assertNotLastOwner(tx, ctx, "userId");
    await tx.membership.deleteMany({ where: { id: target.id, orgId: ctx.org.id } });
    // The removed member's tokens stop working with their membership; revoke them so it shows.
    await tx.apiToken.updateMany({
      where: { orgId: ctx.org.id, userId: input.userId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await recordAudit(tx, ctx, {
      action: "member.remove",
      target: input.userId,
      data: { role: target.role },
    });
    return { userId: input.userId, removed: true };
  });
}
