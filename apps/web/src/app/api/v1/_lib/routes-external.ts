import type { ZodType } from "zod";
import {
  ZAsk,
  ZHeartbeat,
  ZPoints,
  ZReport,
  ZTell,
} from "../../../../server/routers/external/external.schema";
import { bodyObject, type RestRoute } from "./routes";

// External trials (docs/api.md "External trials"): ask, heartbeat, report and tell under a lease,
// and the data an external trainer fits. Each route calls one external.* procedure.
const trialRoute = (action: "heartbeat" | "report" | "tell", summary: string, body: ZodType): RestRoute => ({
  method: "POST",
  path: `/orgs/{org}/trials/{trialId}/${action}`,
  procedure: `external.${action}`,
  kind: "mutation",
  summary,
  tag: "external trials",
  scope: "trials:write",
  body,
  input: ({ params, body: b }) => ({ ...bodyObject(b), org: params["org"], trialId: params["trialId"] }),
});

export const EXTERNAL_ROUTES: RestRoute[] = [
  {
    method: "POST",
    path: "/orgs/{org}/studies/{studyId}/ask",
    procedure: "external.ask",
    kind: "mutation",
    summary:
      "Ask an external study for a trial to train, under a lease ({ trial: null, reason } when none now)",
    tag: "external trials",
    scope: "trials:write",
    body: ZAsk.omit({ studyId: true }),
    input: ({ params, body }) => ({ ...bodyObject(body), org: params["org"], studyId: params["studyId"] }),
  },
  trialRoute(
    "heartbeat",
    "Extend a trial's lease (409 when it lapsed or was superseded)",
    ZHeartbeat.omit({ trialId: true }),
  ),
  trialRoute(
    "report",
    "Report an intermediate value; the study's scheduler answers { prune }",
    ZReport.omit({ trialId: true }),
  ),
  trialRoute(
    "tell",
    "Finish a trial: scalar values, the ensemble's predictions or per-replica χ²",
    ZTell.omit({ trialId: true }),
  ),
  {
    method: "GET",
    path: "/orgs/{org}/studies/{studyId}/points",
    procedure: "external.points",
    kind: "query",
    summary:
      "The study's data points (inputs, central values, errors) and, with ?trialId, that trial's folds",
    tag: "external trials",
    scope: "studies:read",
    query: ZPoints.omit({ studyId: true }),
    input: ({ params, query }) => ({
      ...(query.get("trialId") ? { trialId: query.get("trialId") } : {}),
      org: params["org"],
      studyId: params["studyId"],
    }),
  },
];
