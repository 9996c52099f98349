// The account handlers' dependencies as the running server builds them from its environment.
import type { Db } from "@hyperensemble/db";
import { TRPCError } from "@trpc/server";
import { env } from "../env";
import { clientAddress, PostgresTokenBuckets, SignInThrottle } from "./auth/sign-in-throttle";
import { parseSignupMode } from "./auth/signup";
import { mailerFromEnv } from "./mail";
import type { AccountDeps } from "./routers/account/deps";

export const signupMode = parseSignupMode(env.HENS_SIGNUP);

/** Links in mail point at AUTH_URL; without it (development) at the request's own origin. */
export function publicBaseUrl(req: { url?: string } | undefined): string {
  if (env.AUTH_URL) return env.AUTH_URL.replace(/\/+$/, "");
  return req?.url ? new URL(req.url).origin : "http://localhost:3000";
}

/** The sign-in throttle's buckets (same variables, same rows): a mail costs what a sign-in does. */
export function mailLimiter(throttle: SignInThrottle, headers: Headers, trustedProxyHops: number) {
  return async (email: string) => {
    const verdict = await throttle.attempt(
      { email, address: clientAddress(headers, trustedProxyHops) },
      Date.now(),
    );
    if (!verdict.allowed) {
      throw new TRPCError({
        code: "TOO_MANY_REQUESTS",
        message: `too many attempts: wait ${verdict.retryAfterSeconds} seconds and try again`,
      });
    }
  };
}

/** `req`: the request (tRPC) or its headers (a server action), for the client address. */
export function accountDeps(db: Db, req?: Request | { headers: Headers; url?: string }): AccountDeps {
  const throttle = new SignInThrottle(new PostgresTokenBuckets(db), {
    accountAttempts: env.HENS_SIGNIN_ACCOUNT_ATTEMPTS,
    accountRefillSeconds: env.HENS_SIGNIN_ACCOUNT_REFILL_SECONDS,
    addressAttempts: env.HENS_SIGNIN_ADDRESS_ATTEMPTS,
    addressRefillSeconds: env.HENS_SIGNIN_ADDRESS_REFILL_SECONDS,
  });
  return {
    limitMail: mailLimiter(throttle, req?.headers ?? new Headers(), env.HENS_TRUSTED_PROXY_HOPS),
    db,
    mailer: mailerFromEnv(db, env),
    baseUrl: publicBaseUrl(req),
    signup: signupMode,
    platformAdmins: env.HENS_PLATFORM_ADMINS,
    verification: env.HENS_EMAIL_VERIFICATION,
  };
}
