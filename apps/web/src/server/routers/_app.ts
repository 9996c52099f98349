import { router } from "../trpc";
import { accountRouter } from "./account/_router";
import { adminRouter } from "./admin/_router";
import { auditRouter } from "./audit/_router";
import { comparisonRouter } from "./comparison/_router";
import { datasetRouter } from "./dataset/_router";
import { eventRouter } from "./event/_router";
import { exportRouter } from "./export/_router";
import { externalRouter } from "./external/_router";
import { fitRouter } from "./fit/_router";
import { invitationRouter } from "./invitation/_router";
import { memberRouter } from "./member/_router";
import { orgRouter } from "./org/_router";
import { runnerRouter } from "./runner/_router";
import { studyRouter } from "./study/_router";
import { teamRouter } from "./team/_router";
import { tokenRouter } from "./token/_router";
import { trialRouter } from "./trial/_router";
import { viewsRouter } from "./views/_router";
import { webhookRouter } from "./webhook/_router";

export const appRouter = router({
  org: orgRouter,
  study: studyRouter,
  trial: trialRouter,
  export: exportRouter,
  dataset: datasetRouter,
  token: tokenRouter,
  member: memberRouter,
  invitation: invitationRouter,
  audit: auditRouter,
  runner: runnerRouter,
  event: eventRouter,
  webhook: webhookRouter,
  account: accountRouter,
  admin: adminRouter,
  external: externalRouter,
  fit: fitRouter,
  team: teamRouter,
  comparison: comparisonRouter,
  views: viewsRouter,
});
export type AppRouter = typeof appRouter;
