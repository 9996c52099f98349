import { z } from "zod";
import type { TOKEN_SCOPES } from "../../../../server/auth/token";
import { ZListAudit } from "../../../../server/routers/audit/list.schema";
import { datasetLimits } from "../../../../server/routers/dataset/limits";
import { ZUploadDataset } from "../../../../server/routers/dataset/upload.schema";
import { EXPORT_FORMATS } from "../../../../server/routers/export/study.schema";
import { ZAddTrials, ZCloneStudy } from "../../../../server/routers/study/control.schema";
import { ZCreateStudyBody, ZListStudies } from "../../../../server/routers/study/create.schema";
import { ZCreateToken } from "../../../../server/routers/token/create.schema";
import { ZListTrials } from "../../../../server/routers/trial/list.schema";
import type { Context } from "../../../../server/trpc";
import { ACCOUNT_ROUTES } from "./routes-accounts";
import { EVENT_ROUTES } from "./routes-events";
import { EXTERNAL_ROUTES } from "./routes-external";
import { FIT_ROUTES } from "./routes-fit";
import { STUDY_MANAGE_ROUTES } from "./routes-study-manage";
import { TEAM_ROUTES } from "./routes-team";
import { WEBHOOK_ROUTES } from "./routes-webhooks";

/**
 * The REST surface: each route is a thin mapping from an HTTP request onto ONE tRPC procedure,
 * called through a caller built on the same context, so tenancy, roles and token scopes are
 * decided by orgProcedure exactly as for the browser. Bodies and queries are validated by the
 * procedure's own zod schema; the schemas here only describe them for the OpenAPI document.
 */
export type HttpMethod = "GET" | "POST";

export interface RestRequestParts {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

export interface RestRoute {
  method: HttpMethod;
  /** OpenAPI path template, below /api/v1. */
  path: string;
  /** The tRPC procedure (dotted path) this route calls. */
  procedure: string;
  kind: "query" | "mutation";
  summary: string;
  tag: string;
  /** Token scope the call needs (documentation: orgProcedure enforces it). */
  scope: (typeof TOKEN_SCOPES)[number] | "session only";
  successStatus?: 200 | 201;
  /** zod schema of the JSON body (POST) or of the query string (GET), for the document. */
  body?: z.ZodType;
  query?: z.ZodType;
  input(parts: RestRequestParts): unknown;
  /** How the result becomes a response: JSON by default. */
  respond?: "csv" | "json";
  /** Choose the procedure from the request (exports: by ?format). */
  procedureFor?: (parts: RestRequestParts) => string;
  /** Answer with a stream built from the procedure's result (SSE): the procedure authorizes it. */
  stream?: (args: StreamArgs) => Response;
  /**
   * The body is bytes, not JSON (the multipart theory upload): read within its own cap (refused with
   * 413 naming `variable` past it) and handed to the procedure as `{ contentType, body }`.
   */
  rawBody?: { maxBytes: number; variable: string; description: string };
}

export interface StreamArgs {
  ctx: Context;
  result: unknown;
  req: Request;
  parts: RestRequestParts;
  headers: Record<string, string>;
}

/** Query-string values are text: whole numbers become numbers, anything else reaches zod as is. */
export function queryInput(query: URLSearchParams, numeric: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of query) {
    out[key] = numeric.includes(key) && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

export const bodyObject = (body: unknown): Record<string, unknown> =>
  body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};

export const ZExportQuery = z.object({ format: z.enum(EXPORT_FORMATS).default("csv") });
const EXPORT_PROCEDURES: Record<string, string> = {
  csv: "export.studyCsv",
  json: "export.studyJson",
  optuna: "export.studyOptuna",
} satisfies Record<(typeof EXPORT_FORMATS)[number], string>;

export const REST_ROUTES: RestRoute[] = [
  ...STUDY_MANAGE_ROUTES,
  ...FIT_ROUTES,
  ...TEAM_ROUTES,
  {
    method: "GET",
    path: "/orgs/{org}/studies",
    procedure: "study.list",
    kind: "query",
    summary: "List studies (newest first, cursor-paginated)",
    tag: "studies",
    scope: "studies:read",
    query: ZListStudies,
    input: ({ params, query }) => ({ ...queryInput(query, ["take"]), org: params["org"] }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/studies",
    procedure: "study.create",
    kind: "mutation",
    summary: "Create a study from a spec and queue its first trials",
    tag: "studies",
    scope: "studies:write",
    successStatus: 201,
    body: ZCreateStudyBody,
    input: ({ params, body }) => ({ ...bodyObject(body), org: params["org"] }),
  },
  {
    method: "GET",
    path: "/orgs/{org}/studies/{studyId}",
    procedure: "study.get",
    kind: "query",
    summary: "A study with its trials, intermediate values and selected configuration",
    tag: "studies",
    scope: "studies:read",
    input: ({ params }) => ({ org: params["org"], studyId: params["studyId"] }),
  },
  ...(["pause", "resume", "cancel"] as const).map(
    (action): RestRoute => ({
      method: "POST",
      path: `/orgs/{org}/studies/{studyId}/${action}`,
      procedure: `study.${action}`,
      kind: "mutation",
      summary: `${action[0]?.toUpperCase()}${action.slice(1)} a study`,
      tag: "studies",
      scope: "studies:write",
      input: ({ params }) => ({ org: params["org"], studyId: params["studyId"] }),
    }),
  ),
  {
    method: "POST",
    path: "/orgs/{org}/studies/{studyId}/rerun-failed",
    procedure: "study.rerunFailed",
    kind: "mutation",
    summary: "Queue the study's failed trials again",
    tag: "studies",
    scope: "studies:write",
    input: ({ params }) => ({ org: params["org"], studyId: params["studyId"] }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/studies/{studyId}/add-trials",
    procedure: "study.addTrials",
    kind: "mutation",
    summary: "Raise the study's trial budget by `count`",
    tag: "studies",
    scope: "studies:write",
    body: ZAddTrials.omit({ studyId: true }),
    input: ({ params, body }) => ({ ...bodyObject(body), org: params["org"], studyId: params["studyId"] }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/studies/{studyId}/clone",
    procedure: "study.clone",
    kind: "mutation",
    summary: "A new study with the same spec (optionally a new name)",
    tag: "studies",
    scope: "studies:write",
    successStatus: 201,
    body: ZCloneStudy.omit({ studyId: true }),
    input: ({ params, body }) => ({ ...bodyObject(body), org: params["org"], studyId: params["studyId"] }),
  },
  {
    method: "GET",
    path: "/orgs/{org}/studies/{studyId}/trials",
    procedure: "trial.list",
    kind: "query",
    summary: "A study's trials by number (paginate with ?after=<last number>)",
    tag: "trials",
    scope: "studies:read",
    query: ZListTrials.omit({ studyId: true }),
    input: ({ params, query }) => ({
      ...queryInput(query, ["take", "after"]),
      org: params["org"],
      studyId: params["studyId"],
    }),
  },
  {
    method: "GET",
    path: "/orgs/{org}/studies/{studyId}/export",
    procedure: "export.studyCsv",
    procedureFor: ({ query }) => EXPORT_PROCEDURES[query.get("format") ?? "csv"] ?? "export.studyCsv",
    kind: "query",
    summary:
      "Export trials: CSV with optuna-dashboard's columns, JSON with Optuna distributions, or an Optuna JournalStorage file (format=optuna)",
    tag: "exports",
    scope: "exports:read",
    query: ZExportQuery,
    input: ({ params, query }) => ({
      org: params["org"],
      studyId: params["studyId"],
      ...(query.has("format") ? { format: query.get("format") } : {}),
    }),
    respond: "csv",
  },
  {
    method: "GET",
    path: "/orgs/{org}/datasets",
    procedure: "dataset.list",
    kind: "query",
    summary: "Datasets of the org, plus the built-in closure task",
    tag: "datasets",
    scope: "studies:read",
    input: ({ params }) => ({ org: params["org"] }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/datasets",
    procedure: "dataset.upload",
    kind: "mutation",
    summary:
      "Upload a dataset (CSV or JSON; validated: finite values, shapes, positive-definite covariance; max 10 MB)",
    tag: "datasets",
    scope: "datasets:write",
    successStatus: 201,
    body: ZUploadDataset,
    input: ({ params, body }) => ({ ...bodyObject(body), org: params["org"] }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/datasets/theory",
    procedure: "dataset.uploadTheoryFiles",
    kind: "mutation",
    summary: `Upload a theory as files (multipart/form-data; validated off the event loop; max ${datasetLimits.maxTheoryBytes} bytes, HENS_THEORY_MAX_BYTES)`,
    tag: "datasets",
    scope: "datasets:write",
    successStatus: 201,
    rawBody: {
      maxBytes: datasetLimits.maxTheoryBytes,
      variable: "HENS_THEORY_MAX_BYTES",
      description:
        "multipart/form-data: `name` (text); `theory` (the whole theory as a JSON file), or `meta` (its JSON fields) with `npz` (one .npz of the arrays) or one .npy file per array, the part named by its path (`grid`, `subsets/0/fk`, `subsets/0/values`, `positivity/0/fk`, ...)",
    },
    input: ({ params, body }) => ({ ...bodyObject(body), org: params["org"] }),
  },
  {
    method: "GET",
    path: "/orgs/{org}/datasets/{datasetId}",
    procedure: "dataset.get",
    kind: "query",
    summary: "One dataset with its data",
    tag: "datasets",
    scope: "studies:read",
    input: ({ params }) => ({ org: params["org"], datasetId: params["datasetId"] }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/datasets/{datasetId}/delete",
    procedure: "dataset.delete",
    kind: "mutation",
    summary: "Delete a dataset no study uses",
    tag: "datasets",
    scope: "datasets:write",
    input: ({ params }) => ({ org: params["org"], datasetId: params["datasetId"] }),
  },
  {
    method: "GET",
    path: "/orgs/{org}/tokens",
    procedure: "token.list",
    kind: "query",
    summary: "Your API tokens (all of the org's for ADMIN and OWNER); never the token itself",
    tag: "tokens",
    scope: "session only",
    input: ({ params }) => ({ org: params["org"] }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/tokens",
    procedure: "token.create",
    kind: "mutation",
    summary: "Create an API token; the response is the only time the token is shown",
    tag: "tokens",
    scope: "session only",
    successStatus: 201,
    body: ZCreateToken,
    input: ({ params, body }) => ({ ...bodyObject(body), org: params["org"] }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/tokens/{tokenId}/revoke",
    procedure: "token.revoke",
    kind: "mutation",
    summary: "Revoke an API token (yours, or any with ADMIN)",
    tag: "tokens",
    scope: "session only",
    input: ({ params }) => ({ org: params["org"], tokenId: params["tokenId"] }),
  },
  {
    method: "GET",
    path: "/orgs/{org}/audit",
    procedure: "audit.list",
    kind: "query",
    summary: "Audit events (ADMIN and OWNER)",
    tag: "audit",
    scope: "session only",
    query: ZListAudit,
    input: ({ params, query }) => ({ ...queryInput(query, ["take"]), org: params["org"] }),
  },
  ...EVENT_ROUTES,
  ...WEBHOOK_ROUTES,
  ...ACCOUNT_ROUTES,
  ...EXTERNAL_ROUTES,
];

/** Match `/orgs/acme/studies/x` against `/orgs/{org}/studies/{studyId}`. */
export function matchPath(template: string, path: string): Record<string, string> | null {
  const want = template.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith("{") && w.endsWith("}")) {
      let value: string;
      try {
        value = decodeURIComponent(g);
      } catch {
        return null;
      }
      params[w.slice(1, -1)] = value;
    } else if (w !== g) return null;
  }
  return params;
}
