import type { Db } from "@hyperensemble/db";
import { isPlatformAdmin } from "../../auth/platform-admin";
import { endAllSessions } from "../../auth/session-store";
import { recordUserAudit } from "./user-audit";

type SignedIn = { db: Db; user: { id: string } };

export async function meHandler({
  ctx,
  platformAdmins,
}: {
  ctx: SignedIn;
  platformAdmins: string | undefined;
}) {
  const user = await ctx.db.user.findUniqueOrThrow({
    where: { id: ctx.user.id },
    select: { id: true, email: true, name: true, emailVerified: true, passwordHash: true, createdAt: true },
  });
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    emailVerified: user.emailVerified !== null,
    hasPassword: user.passwordHash !== null,
    createdAt: user.createdAt,
    platformAdmin: isPlatformAdmin(user.email, platformAdmins),
  };
}

export async function updateProfileHandler({ ctx, input }: { ctx: SignedIn; input: { name: string } }) {
  await ctx.db.$transaction(async (tx) => {
    await tx.user.update({ where: { id: ctx.user.id }, data: { name: input.name } });
    await recordUserAudit(tx, ctx.user.id, ctx.user.id, {
      action: "account.profile",
      data: { name: input.name },
    });
  });
  return { name: input.name };
}

/** Every session of the user ends, on every device, this one included. */
export async function signOutEverywhereHandler({ ctx }: { ctx: SignedIn }) {
  await ctx.db.$transaction(async (tx) => {
    await endAllSessions(tx, ctx.user.id);
    await recordUserAudit(tx, ctx.user.id, ctx.user.id, { action: "account.signout.everywhere" });
  });
  return { signedOut: true };
}
