import { FIT_EXPORT_FORMATS } from "@hyperensemble/platform/schema";
import { z } from "zod";
import { ZCreateFitBody, ZFitEvaluateBody } from "../../../../server/routers/fit/schema";
import { bodyObject, type RestRoute } from "./routes";

// Final fits (docs/api.md "Fits"): start one from a study's selected configuration (or a trial),
// follow it, export it. Each route calls one fit.* procedure.
export const FIT_ROUTES: RestRoute[] = [
  {
    method: "POST",
    path: "/orgs/{org}/studies/{studyId}/fits",
    procedure: "fit.create",
    kind: "mutation",
    summary:
      "Start a final fit: R replicas of the study's selected configuration (or of ?trial), then post-fit selection",
    tag: "fits",
    scope: "studies:write",
    successStatus: 201,
    body: ZCreateFitBody,
    input: ({ params, body }) => ({ ...bodyObject(body), org: params["org"], studyId: params["studyId"] }),
  },
  {
    method: "GET",
    path: "/orgs/{org}/studies/{studyId}/fits",
    procedure: "fit.list",
    kind: "query",
    summary: "The study's fits, newest first (state, progress, counts; no outcome)",
    tag: "fits",
    scope: "studies:read",
    input: ({ params }) => ({ org: params["org"], studyId: params["studyId"] }),
  },
  {
    method: "GET",
    path: "/orgs/{org}/fits/{fitId}",
    procedure: "fit.get",
    kind: "query",
    summary:
      "One fit: state, progress, runner time, post-fit rule and counts, outcome (per-dataset χ², φ², replicas)",
    tag: "fits",
    scope: "studies:read",
    input: ({ params }) => ({ org: params["org"], fitId: params["fitId"] }),
  },
  {
    method: "GET",
    path: "/orgs/{org}/fits/{fitId}/export",
    procedure: "fit.export",
    kind: "query",
    summary:
      "Export a COMPLETED fit: format=lhapdf ({ files: { name: text } }, an LHAPDF6 set), weights (hyperensemble-weights/1) or json",
    tag: "fits",
    scope: "exports:read",
    query: z.object({ format: z.enum(FIT_EXPORT_FORMATS).default("json") }),
    input: ({ params, query }) => ({
      org: params["org"],
      fitId: params["fitId"],
      format: query.get("format") ?? "json",
    }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/fits/{fitId}/evaluate",
    procedure: "fit.evaluate",
    kind: "mutation",
    summary:
      "Evaluate a COMPLETED fit's kept replicas on the feature rows you give: { rows: number[][], format: json|csv } → every replica's outputs with their mean and sd (json) or { filename, csv }",
    tag: "fits",
    scope: "exports:read",
    body: ZFitEvaluateBody,
    input: ({ params, body }) => ({ ...bodyObject(body), org: params["org"], fitId: params["fitId"] }),
  },
];
