import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { roleCan } from "../../permissions";
import { recordAudit } from "../audit/record";
import type { TokenRefInput } from "./create.schema";

const PUBLIC_FIELDS = {
  id: true,
  name: true,
  prefix: true,
  scopes: true,
  userId: true,
  expiresAt: true,
  revokedAt: true,
  lastUsedAt: true,
  createdAt: true,
} as const;

/** Everyone sees their own tokens; a role that manages tokens sees the whole org's. */
export async function listTokensHandler({ ctx }: { ctx: OrgContext }) {
  const all = roleCan(ctx.role, "token:manage");
  const tokens = await ctx.orgDb.apiToken.findMany({
    where: { orgId: ctx.org.id, ...(all ? {} : { userId: ctx.user.id }) },
    orderBy: { createdAt: "desc" },
    select: PUBLIC_FIELDS,
  });
  return { items: tokens };
}

/** Revoke one's own token, or any token of the org with token:manage. Idempotent. */
export async function revokeTokenHandler({
  ctx,
  input,
  now = new Date(),
}: {
  ctx: OrgContext;
  input: TokenRefInput;
  now?: Date;
}) {
  const all = roleCan(ctx.role, "token:manage");
  const token = await ctx.orgDb.apiToken.findFirst({
    where: { id: input.tokenId, orgId: ctx.org.id, ...(all ? {} : { userId: ctx.user.id }) },
    select: { id: true, revokedAt: true, prefix: true },
  });
  if (!token) throw new TRPCError({ code: "NOT_FOUND", message: "token not found" });
  if (token.revokedAt) return { id: token.id, revokedAt: token.revokedAt };
  return ctx.orgDb.$transaction(async (tx) => {
    await tx.apiToken.updateMany({
      where: { id: token.id, orgId: ctx.org.id, revokedAt: null },
      data: { revokedAt: now },
    });
    await recordAudit(tx, ctx, { action: "token.revoke", target: token.id, data: { prefix: token.prefix } });
    return { id: token.id, revokedAt: now };
  });
}
