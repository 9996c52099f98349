// The account handlers' dependencies as the running server builds them from its environment.
import type { Db } from "@hyperensemble/db";
import { env } from "../env";
import { parseSignupMode } from "./auth/signup";
import { mailerFromEnv } from "./mail";
import type { AccountDeps } from "./routers/account/deps";

export const signupMode = parseSignupMode(env.HENS_SIGNUP);

/** Links in mail point at AUTH_URL; without it (development) at the request's own origin. */
export function publicBaseUrl(req: Request | undefined): string {
  if (env.AUTH_URL) return env.AUTH_URL.replace(/\/+$/, "");
  return req ? new URL(req.url).origin : "http://localhost:3000";
}

export function accountDeps(db: Db, req?: Request): AccountDeps {
  return {
    db,
    mailer: mailerFromEnv(db, env),
    baseUrl: publicBaseUrl(req),
    signup: signupMode,
    platformAdmins: env.HENS_PLATFORM_ADMINS,
    verification: env.HENS_EMAIL_VERIFICATION,
  };
}
