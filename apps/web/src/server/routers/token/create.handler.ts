import { generateApiToken, type TokenScope } from "../../auth/token";
import type { OrgContext } from "../../context-types";
import { type Permission, roleCan } from "../../permissions";
import { recordAudit } from "../audit/record";
import { fieldError } from "../field-error";
import type { CreateTokenInput } from "./create.schema";

/** The permission a scope exercises; a token may only carry scopes its creator's role has. */
export const SCOPE_PERMISSION: Record<TokenScope, Permission> = {
  "studies:read": "study:read",
  "studies:write": "study:write",
  "trials:write": "trial:write",
  "datasets:write": "dataset:write",
  "exports:read": "export:read",
  "members:read": "member:read",
};

const DAY_MS = 86_400_000;

/** Mint a token: its plaintext is in this response only; the database keeps its SHA-256. */
export async function createTokenHandler({
  ctx,
  input,
  now = new Date(),
}: {
  ctx: OrgContext;
  input: CreateTokenInput;
  now?: Date;
}) {
  const beyondRole = input.scopes.filter((s) => !roleCan(ctx.role, SCOPE_PERMISSION[s]));
  if (beyondRole.length > 0) {
    throw fieldError(["scopes"], `your role ${ctx.role} cannot grant ${beyondRole.join(", ")}`);
  }
  const { token, prefix, tokenHash } = generateApiToken();
  const expiresAt = input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * DAY_MS) : null;
  const created = await ctx.orgDb.$transaction(async (tx) => {
    const row = await tx.apiToken.create({
      data: {
        orgId: ctx.org.id,
        userId: ctx.user.id,
        name: input.name,
        prefix,
        tokenHash,
        scopes: input.scopes,
        expiresAt,
      },
      select: { id: true, name: true, prefix: true, scopes: true, expiresAt: true, createdAt: true },
    });
    await recordAudit(tx, ctx, {
      action: "token.create",
      target: row.id,
      data: { name: row.name, prefix, scopes: input.scopes },
    });
    return row;
  });
  return { ...created, token };
}
