import type { Db } from "@hyperensemble/db";
import { hashPassword, verifyPassword } from "@hyperensemble/platform/password";
import { TRPCError } from "@trpc/server";
import { endAllSessions } from "../../auth/session-store";
import { fieldError } from "../field-error";
import type { AccountDeps } from "./deps";
import { consumeLink, issueLink } from "./links";
import { recordUserAudit } from "./user-audit";

/**
 * Change the password, the current one required. Every session ends, this one included: the page
 * signs the user in again with the new password.
 */
export async function changePasswordHandler({
  ctx,
  input,
}: {
  ctx: { db: Db; user: { id: string } };
  input: { currentPassword: string; newPassword: string };
}) {
  const user = await ctx.db.user.findUnique({ where: { id: ctx.user.id }, select: { passwordHash: true } });
  if (!user?.passwordHash) {
    throw fieldError(["currentPassword"], "this account signs in through a provider and has no password");
  }
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw fieldError(["currentPassword"], "the current password is wrong");
  }
  const passwordHash = await hashPassword(input.newPassword);
  await ctx.db.$transaction(async (tx) => {
    await tx.user.update({ where: { id: ctx.user.id }, data: { passwordHash } });
    await endAllSessions(tx, ctx.user.id);
    await recordUserAudit(tx, ctx.user.id, ctx.user.id, { action: "account.password.change" });
  });
  return { changed: true, signedOut: true };
}

/**
 * Mail a reset link (valid one hour, single use). The answer is the same whether or not the address
 * has an account, so the form does not reveal who is registered.
 */
export async function requestPasswordResetHandler({
  deps,
  input,
  now = new Date(),
}: {
  deps: AccountDeps;
  input: { email: string };
  now?: Date;
}) {
  // Counted for every address, with an account or not, so the limit reveals nothing either.
  await deps.limitMail?.(input.email);
  const user = await deps.db.user.findUnique({
    where: { email: input.email },
    select: { id: true, email: true, deactivatedAt: true },
  });
  if (user && !user.deactivatedAt) {
    const token = await issueLink(deps.db, user.id, "password-reset", now);
    await deps.mailer.send({
      to: user.email,
      subject: "Reset your HyperEnsemble password",
      text: `Someone asked to reset the password of ${user.email}. Open this link within one hour to choose a new one (it works once):\n\n${deps.baseUrl}/reset/${token}\n\nIf it was not you, ignore this mail.`,
    });
  }
  return { sent: true };
}

/** Set a new password from a reset link: the link is used up and every session ends. */
export async function resetPasswordHandler({
  deps,
  input,
  now = new Date(),
}: {
  deps: Pick<AccountDeps, "db">;
  input: { token: string; newPassword: string };
  now?: Date;
}) {
  const passwordHash = await hashPassword(input.newPassword);
  return deps.db.$transaction(async (tx) => {
    const userId = await consumeLink(tx, input.token, "password-reset", now);
    if (!userId) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: "this reset link is used, expired or unknown: ask for a new one",
      });
    }
    // Reading the mail proves the address as well.
    await tx.user.update({ where: { id: userId }, data: { passwordHash, emailVerified: now } });
    await endAllSessions(tx, userId);
    await recordUserAudit(tx, userId, userId, { action: "account.password.reset" });
    return { reset: true };
  });
}

/** Confirm the email address from the mailed link. */
export async function verifyEmailHandler({
  deps,
  input,
  now = new Date(),
}: {
  deps: Pick<AccountDeps, "db">;
  input: { token: string };
  now?: Date;
}) {
  return deps.db.$transaction(async (tx) => {
    const userId = await consumeLink(tx, input.token, "email-verify", now);
    if (!userId) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: "this confirmation link is used, expired or unknown",
      });
    }
    await tx.user.update({ where: { id: userId }, data: { emailVerified: now } });
    return { verified: true };
  });
}
