import type { Db } from "@hyperensemble/db";
import { TRPCError } from "@trpc/server";
import { sha256Hex } from "../../auth/token";
import { recordAudit } from "../audit/record";
import type { InvitationTokenInput } from "./create.schema";

/** The narrow context of a signed-in user outside any org (accepting is how they get into one). */
export interface SignedInContext {
  db: Db;
  user: { id: string };
  /** Set when the caller authenticated with an API token: tokens cannot accept invitations. */
  tokenId?: string | undefined;
}

/**
 * Whether `email` holds a pending, unexpired invitation (the one behind `token`, when given): it lets
 * the person create an account whatever HENS_SIGNUP says (sign-up form and OIDC alike).
 */
export async function hasPendingInvitation(
  db: Db,
  email: string,
  now: Date,
  token?: string,
): Promise<boolean> {
  const invitation = await db.invitation.findFirst({
    where: {
      email: { equals: email, mode: "insensitive" },
      acceptedAt: null,
      expiresAt: { gt: now },
      ...(token ? { tokenHash: sha256Hex(token) } : {}),
    },
    select: { id: true },
  });
  return invitation !== null;
}

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "invitation not found" });

async function findInvitation(db: Db, token: string) {
  return db.invitation.findUnique({
    where: { tokenHash: sha256Hex(token) },
    select: {
      id: true,
      orgId: true,
      email: true,
      role: true,
      expiresAt: true,
      acceptedAt: true,
      org: { select: { slug: true, name: true } },
    },
  });
}

/** What the accept page shows before the user confirms: only to a holder of the link. */
export async function previewInvitationHandler({
  ctx,
  input,
  now = new Date(),
}: {
  ctx: SignedInContext;
  input: InvitationTokenInput;
  now?: Date;
}) {
  const invitation = await findInvitation(ctx.db, input.token);
  if (!invitation) throw notFound();
  const user = await ctx.db.user.findUnique({ where: { id: ctx.user.id }, select: { email: true } });
  return {
    org: { slug: invitation.org.slug, name: invitation.org.name },
    role: invitation.role,
    email: invitation.email,
    emailMatches: user?.email.toLowerCase() === invitation.email.toLowerCase(),
    expired: invitation.expiresAt.getTime() <= now.getTime(),
    accepted: invitation.acceptedAt !== null,
  };
}

/**
 * Accept an invitation for the signed-in user whose email matches it: the membership is created
 * and the invitation consumed in one transaction; a second accept (or a race) finds it used.
 * An existing membership keeps its role (an invitation never demotes).
 */
export async function acceptInvitationHandler({
  ctx,
  input,
  now = new Date(),
}: {
  ctx: SignedInContext;
  input: InvitationTokenInput;
  now?: Date;
}) {
  if (ctx.tokenId) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "invitations are accepted in the browser, not with an API token",
    });
  }
  const invitation = await findInvitation(ctx.db, input.token);
  if (!invitation) throw notFound();
  if (invitation.acceptedAt) throw new TRPCError({ code: "CONFLICT", message: "invitation already used" });
  if (invitation.expiresAt.getTime() <= now.getTime()) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "invitation expired: ask for a new one" });
  }
  const user = await ctx.db.user.findUnique({ where: { id: ctx.user.id }, select: { email: true } });
  if (!user || user.email.toLowerCase() !== invitation.email.toLowerCase()) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `this invitation is for ${invitation.email}: sign in with that address`,
    });
  }
  const orgId = invitation.orgId;
  return ctx.db.$transaction(async (tx) => {
    const consumed = await tx.invitation.updateMany({
      where: { id: invitation.id, orgId, acceptedAt: null },
      data: { acceptedAt: now },
    });
    if (consumed.count !== 1) throw new TRPCError({ code: "CONFLICT", message: "invitation already used" });
    const existing = await tx.membership.findFirst({
      where: { orgId, userId: ctx.user.id },
      select: { role: true },
    });
    const role = existing?.role ?? invitation.role;
    if (!existing) await tx.membership.create({ data: { orgId, userId: ctx.user.id, role } });
    await recordAudit(
      tx,
      { org: { id: orgId }, user: ctx.user },
      { action: "invitation.accept", target: invitation.id, data: { role } },
    );
    return { org: invitation.org.slug, role };
  });
}
