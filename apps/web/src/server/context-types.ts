import type { Db } from "@hyperensemble/db";
import type { TrialEnqueuer } from "@hyperensemble/platform";
import type { Role } from "./permissions";

/** The narrow context a tenant handler receives: testable without HTTP. */
export interface OrgContext {
  db: Db;
  orgDb: Db;
  enqueuer: TrialEnqueuer;
  requeuer: TrialEnqueuer;
  org: { id: string; slug: string; name: string };
  user: { id: string };
  role: Role;
}
