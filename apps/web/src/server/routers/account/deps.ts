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
}
