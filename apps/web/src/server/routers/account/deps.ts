import type { Db } from "@hyperensemble/db";
import type { SignupMode } from "../../auth/signup";
import type { Mailer } from "../../mail";

/** What the account handlers need besides the database: testable without HTTP or environment. */
export interface AccountDeps {
  db: Db;
  mailer: Mailer;
  /** The public URL links in mail point at (AUTH_URL, else the request's origin). */
  baseUrl: string;
  signup: SignupMode;
  platformAdmins: string | undefined;
  verification: "off" | "optional" | "required";
  /**
   * Called before a mail goes to `email` (sign-up's confirmation, a reset link): throws
   * TOO_MANY_REQUESTS past the sign-in throttle's buckets, so the forms cannot be used to flood an
   * inbox. Absent: no limit (handler tests that are about something else).
   */
  limitMail?: (email: string) => Promise<void>;
}
