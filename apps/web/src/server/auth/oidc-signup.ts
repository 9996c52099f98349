// A provider's sign-in (GitHub, GitLab, a collaboration's OIDC): the account is created on the first
// one, by the next-auth adapter, only when HENS_SIGNUP allows it; an existing user signs in unless
// deactivated.
import type { Db } from "@hyperensemble/db";
import { hasPendingInvitation } from "../routers/invitation/accept.handler";
import { groupsClaim, mayCreateAccount, type SignupMode } from "./signup";

export interface OidcSignIn {
  email: string | null;
  profile: Record<string, unknown> | undefined;
  mode: SignupMode;
  groupClaim: string;
  platformAdmins: string | undefined;
}

export async function oidcSignInAllowed(db: Db, who: OidcSignIn, now = new Date()): Promise<boolean> {
  if (!who.email) return false;
  const email = who.email.toLowerCase();
  const existing = await db.user.findUnique({ where: { email }, select: { deactivatedAt: true } });
  if (existing) return existing.deactivatedAt === null;
  const invited = await hasPendingInvitation(db, email, now);
  return mayCreateAccount(
    who.mode,
    { email, via: "oidc", groups: groupsClaim(who.profile, who.groupClaim), invited },
    who.platformAdmins,
  ).allowed;
}
