// Email-and-password sign-in (next-auth's credentials provider calls `authorize`). The throttle is
// asked first: a refused attempt never reaches the database's password hash or scrypt.

// The class next-auth re-exports; imported from its home because next-auth's index loads next/server.
import { CredentialsSignin } from "@auth/core/errors";
import { type Db, findUserForLogin } from "@hyperensemble/db";
import { verifyPassword } from "@hyperensemble/platform/password";
import { z } from "zod";
import { clientAddress, type SignInThrottle } from "./sign-in-throttle";

const credentialsSchema = z.object({
  email: z.email({ error: "email must be a valid address" }).max(320, { error: "email is too long" }),
  password: z.string().min(1, { error: "password is required" }).max(1024),
});

const THROTTLED = /^throttled-(\d+)$/;

/**
 * Too many attempts: next-auth puts `code` into the sign-in page's URL (`?error=CredentialsSignin&
 * code=throttled-<seconds>`), which says how long to wait, like a Retry-After.
 */
export class SignInThrottled extends CredentialsSignin {
  constructor(readonly retryAfterSeconds: number) {
    super();
    this.code = `throttled-${retryAfterSeconds}`;
  }
}

/** Right password, but the account may not sign in: `code` says why on the sign-in page. */
export class AccountRefused extends CredentialsSignin {
  constructor(reason: "deactivated" | "unverified") {
    super();
    this.code = reason;
  }
}

export interface CredentialsDeps {
  db: Db;
  throttle: SignInThrottle;
  /** Proxies in front of the web that append to X-Forwarded-For (HENS_TRUSTED_PROXY_HOPS). */
  trustedProxyHops: number;
  /** HENS_EMAIL_VERIFICATION=required: no sign-in before the address is confirmed. */
  requireVerifiedEmail?: boolean;
  verify?: (password: string, stored: string) => Promise<boolean>;
  now?: () => number;
}

export interface SignedInUser {
  id: string;
  email: string;
  name: string | null;
}

/** next-auth's `authorize`: the user, null for wrong credentials, or SignInThrottled. */
export function credentialsAuthorizer({
  db,
  throttle,
  trustedProxyHops,
  requireVerifiedEmail = false,
  verify = verifyPassword,
  now = Date.now,
}: CredentialsDeps) {
  return async (raw: unknown, request: Request): Promise<SignedInUser | null> => {
    const parsed = credentialsSchema.safeParse(raw);
    if (!parsed.success) return null;
    const email = parsed.data.email.toLowerCase();
    // Counted whether or not the account exists, so the throttle does not reveal which ones do.
    const verdict = await throttle.attempt(
      { email, address: clientAddress(request.headers, trustedProxyHops) },
      now(),
    );
    if (!verdict.allowed) throw new SignInThrottled(verdict.retryAfterSeconds);
    const user = await findUserForLogin(db, email);
    if (!user?.passwordHash) return null;
    if (!(await verify(parsed.data.password, user.passwordHash))) return null;
    // Asked only after the password matched, so these answers tell nothing to a guesser.
    const status = await db.user.findUnique({
      where: { id: user.id },
      select: { deactivatedAt: true, emailVerified: true },
    });
    if (!status || status.deactivatedAt) throw new AccountRefused("deactivated");
    if (requireVerifiedEmail && !status.emailVerified) throw new AccountRefused("unverified");
    return { id: user.id, email: user.email, name: user.name };
  };
}

/** What the sign-in page says for next-auth's `error` and `code` query parameters. */
export function signInErrorMessage(error: string | undefined, code: string | undefined): string | null {
  if (!error) return null;
  const seconds = Number(THROTTLED.exec(code ?? "")?.[1] ?? Number.NaN);
  if (Number.isFinite(seconds)) {
    const wait = seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
    return `Too many sign-in attempts. Wait ${wait} and try again.`;
  }
  if (code === "deactivated") return "This account is deactivated. Ask the platform's operators.";
  if (code === "unverified") return "Confirm your email address first: open the link we mailed you.";
  return "Wrong email or password.";
}
