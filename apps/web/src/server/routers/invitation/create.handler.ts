import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { sha256Hex } from "../../auth/token";
import type { OrgContext } from "../../context-types";
import { recordAudit } from "../audit/record";
import type { CreateInvitationInput, InvitationRefInput } from "./create.schema";

const DAY_MS = 86_400_000;

/** A link invitation: the token (256 bits) is returned once, the database keeps its SHA-256. */
export async function createInvitationHandler({
  ctx,
  input,
  now = new Date(),
}: {
  ctx: OrgContext;
  input: CreateInvitationInput;
  now?: Date;
}) {
  if (input.role === "OWNER" && ctx.role !== "OWNER") {
    throw new TRPCError({ code: "FORBIDDEN", message: "only an OWNER can invite an OWNER" });
  }
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + input.expiresInDays * DAY_MS);
  const invitation = await ctx.orgDb.$transaction(async (tx) => {
    const row = await tx.invitation.create({
      data: {
        orgId: ctx.org.id,
        email: input.email,
        role: input.role,
        tokenHash: sha256Hex(token),
        invitedBy: ctx.user.id,
        expiresAt,
      },
      select: { id: true, email: true, role: true, expiresAt: true, createdAt: true },
    });
    await recordAudit(tx, ctx, {
      action: "invitation.create",
      target: row.id,
      data: { email: row.email, role: row.role },
    });
    return row;
  });
  return { ...invitation, token, path: `/invite/${token}` };
}

export async function listInvitationsHandler({ ctx }: { ctx: OrgContext }) {
  const items = await ctx.orgDb.invitation.findMany({
    where: { orgId: ctx.org.id, acceptedAt: null },
    orderBy: { createdAt: "desc" },
    select: { id: true, email: true, role: true, invitedBy: true, expiresAt: true, createdAt: true },
  });
  return { items };
}

export async function revokeInvitationHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: InvitationRefInput;
}) {
  return ctx.orgDb.$transaction(async (tx) => {
    const deleted = await tx.invitation.deleteMany({
      where: { id: input.invitationId, orgId: ctx.org.id, acceptedAt: null },
    });
    if (deleted.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "invitation not found" });
    await recordAudit(tx, ctx, { action: "invitation.revoke", target: input.invitationId });
    return { id: input.invitationId, revoked: true };
  });
}
