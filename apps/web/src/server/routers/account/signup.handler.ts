import { hashPassword } from "@hyperensemble/platform/password";
import { TRPCError } from "@trpc/server";
import { mayCreateAccount } from "../../auth/signup";
import { fieldError, isUniqueViolation } from "../field-error";
import { hasPendingInvitation } from "../invitation/accept.handler";
import type { AccountDeps } from "./deps";
import { issueLink } from "./links";
import type { SignUpInput } from "./schema";

/** A new account with email and password, under the install's HENS_SIGNUP rules. */
export async function signUpHandler({
  deps,
  input,
  now = new Date(),
}: {
  deps: AccountDeps;
  input: SignUpInput;
  now?: Date;
}) {
  const invited = await hasPendingInvitation(deps.db, input.email, now, input.invite);
  const decision = mayCreateAccount(
    deps.signup,
    { email: input.email, via: "password", invited },
    deps.platformAdmins,
  );
  if (!decision.allowed) throw new TRPCError({ code: "FORBIDDEN", message: decision.reason });
  await deps.limitMail?.(input.email);
  const passwordHash = await hashPassword(input.password);
  let user: { id: string; email: string };
  try {
    user = await deps.db.user.create({
      data: {
        email: input.email,
        name: input.name,
        passwordHash,
        // Whoever opened an invitation mailed to this address has shown they read its mail.
        ...(input.invite && invited ? { emailVerified: now } : {}),
      },
      select: { id: true, email: true },
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw fieldError(["email"], "an account with this email exists: sign in", "CONFLICT");
    throw err;
  }
  let verificationSent = false;
  if (deps.verification !== "off" && !(input.invite && invited)) {
    const token = await issueLink(deps.db, user.id, "email-verify", now);
    await deps.mailer.send({
      to: user.email,
      subject: "Confirm your email address for HyperEnsemble",
      text: `Confirm your address by opening this link (valid 7 days):\n\n${deps.baseUrl}/verify/${token}\n`,
    });
    verificationSent = true;
  }
  return { userId: user.id, email: user.email, verificationSent };
}
