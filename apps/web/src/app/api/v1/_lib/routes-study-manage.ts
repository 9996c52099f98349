import { ZEnqueueConfigurations } from "../../../../server/routers/study/manage.schema";
import type { RestRoute } from "./routes";

/** Study management beyond the lifecycle (issue 14): enqueue known configurations, delete. */
export const STUDY_MANAGE_ROUTES: RestRoute[] = [
  {
    method: "POST",
    path: "/orgs/{org}/studies/{studyId}/enqueue",
    procedure: "study.enqueue",
    kind: "mutation",
    summary:
      "Evaluate given configurations first (Optuna's enqueue_trial); ones the study already has are skipped",
    tag: "studies",
    scope: "studies:write",
    body: ZEnqueueConfigurations.omit({ studyId: true }),
    input: ({ params, body }) => ({
      ...(body !== null && typeof body === "object" && !Array.isArray(body) ? body : {}),
      org: params["org"],
      studyId: params["studyId"],
    }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/studies/{studyId}/delete",
    procedure: "study.delete",
    kind: "mutation",
    summary: "Delete a study with its trials (409 while runners hold one of its trials: cancel first)",
    tag: "studies",
    scope: "studies:write",
    input: ({ params }) => ({ org: params["org"], studyId: params["studyId"] }),
  },
];
