import { HYPERPARAMETERS, type HyperparameterInfo } from "@hyperensemble/engine/hyperparameters";
import { z } from "zod";
import { TOKEN_SCOPES } from "../../../../server/auth/token";
import { REST_ROUTES, type RestRoute } from "./routes";

/** JSON Schema of a zod schema as the request sees it (defaults optional); refinements are not expressible. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return rest;
}

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "fieldErrors"],
      properties: {
        code: { type: "string", examples: ["BAD_REQUEST", "NOT_FOUND", "TOO_MANY_REQUESTS"] },
        message: { type: "string" },
        fieldErrors: {
          description: "Field path (dotted) → first message, for 400 validation failures; otherwise null.",
          oneOf: [{ type: "object", additionalProperties: { type: "string" } }, { type: "null" }],
        },
      },
    },
  },
};

const errorResponses = {
  "400": {
    description: "Invalid input: `fieldErrors` names the field",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "401": { description: "Missing, unknown, revoked or expired token" },
  "403": {
    description: "Your role or the token's scopes do not allow this; or a cross-site browser request",
  },
  "404": {
    description: "No such resource in this organization (also: not a member, or a token of another org)",
  },
  "429": {
    description: "Rate limit exceeded for this token",
    headers: {
      "Retry-After": { schema: { type: "integer" }, description: "Seconds until a request is allowed" },
      "RateLimit-Limit": { schema: { type: "integer" } },
      "RateLimit-Remaining": { schema: { type: "integer" } },
      "RateLimit-Reset": { schema: { type: "integer" } },
    },
  },
  "500": {
    description:
      "Unexpected error: always `internal error (request id <uuid>)`, never database text; the id is in X-Request-Id",
    headers: { "X-Request-Id": { schema: { type: "string" }, description: "Quote it to the operator" } },
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
};

/** POST bodies are capped by HENS_MAX_BODY_BYTES (server/http.ts). */
const bodyTooLarge = {
  "413": {
    description: "Request body over HENS_MAX_BODY_BYTES (default 12 MiB); the message names the limit",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
};

/** One hyperparameter as JSON Schema: its type, bounds or choices, default and meaning (the registry). */
function hyperparameterSchema(h: HyperparameterInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { description: h.meaning };
  if (h.type === "categorical") Object.assign(out, { type: "string", enum: h.choices });
  else if (h.type === "boolean") out["type"] = "boolean";
  else {
    out["type"] = h.type === "int" ? "integer" : "number";
    if (h.low !== undefined) out[h.lowExclusive ? "exclusiveMinimum" : "minimum"] = h.low;
    if (h.high !== undefined) out[h.highExclusive ? "exclusiveMaximum" : "maximum"] = h.high;
  }
  if (h.default !== null) out["default"] = h.default;
  return out;
}

/** The trainer's hyperparameters: the names a search space may use, and each one's domain. */
export const hyperparametersComponent = {
  type: "object",
  description:
    "The trainer's hyperparameters (docs/api.md, 'Hyperparameters'). A study's searchSpace names only these; each distribution stays inside the domain given here.",
  additionalProperties: false,
  properties: Object.fromEntries(HYPERPARAMETERS.map((h) => [h.name, hyperparameterSchema(h)])),
};

/** The create body's searchSpace and fixed, keyed by the registry's names (their schemas are zod customs). */
function withSearchSpaceNames(body: Record<string, unknown>): Record<string, unknown> {
  const properties = body["properties"] as Record<string, unknown> | undefined;
  if (!properties || !("searchSpace" in properties)) return body;
  properties["searchSpace"] = {
    type: "object",
    description:
      "Parameter name → distribution: ours ({type: float|int, low, high, log?, step?, when?} or {type: categorical, choices, when?}) or Optuna's distribution_to_json (object or string; legacy names too). Names and domains: #/components/schemas/Hyperparameters.",
    propertyNames: { enum: HYPERPARAMETERS.map((h) => h.name) },
    additionalProperties: { oneOf: [{ type: "object" }, { type: "string" }] },
  };
  // Fixed settings take the same names, each a value inside its domain (and none also searched).
  if ("fixed" in properties)
    properties["fixed"] = {
      $ref: "#/components/schemas/Hyperparameters",
      description:
        "Hyperparameter name → value, the same for every trial and never searched (a name may not also be in searchSpace). An external study's names are its own code's: any scalar values.",
    };
  return body;
}

function operation(route: RestRoute) {
  const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
    ...(m[1] === "org" ? { description: "Organization slug" } : {}),
  }));
  const querySchema = route.query ? jsonSchema(route.query) : null;
  const queryParams = querySchema
    ? Object.entries((querySchema["properties"] ?? {}) as Record<string, Record<string, unknown>>).map(
        ([name, schema]) => ({ name, in: "query", required: false, schema }),
      )
    : [];
  const success =
    route.respond === "csv"
      ? {
          description:
            "CSV (format=csv), Optuna-shaped JSON (format=json), or an Optuna JournalStorage file (format=optuna: JSON lines)",
          content: {
            "text/csv": { schema: { type: "string" } },
            "application/x-ndjson": { schema: { type: "string" } },
            "application/json": { schema: { type: "object" } },
          },
        }
      : { description: "OK", content: { "application/json": { schema: { type: "object" } } } };
  return {
    operationId: route.procedure.replace(".", "_"),
    summary: route.summary,
    tags: [route.tag],
    description:
      route.scope === "session only"
        ? "Browser session only: API tokens cannot manage tokens."
        : `Token scope: \`${route.scope}\` (and a role that allows it).`,
    security: route.scope === "session only" ? [{ session: [] }] : [{ bearer: [] }, { session: [] }],
    parameters: [...pathParams, ...queryParams],
    ...(route.rawBody
      ? {
          requestBody: {
            required: true,
            description: route.rawBody.description,
            content: { "multipart/form-data": { schema: { type: "object" } } },
          },
        }
      : route.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: withSearchSpaceNames(jsonSchema(route.body)) } },
            },
          }
        : {}),
    responses: {
      [String(route.successStatus ?? 200)]: success,
      ...errorResponses,
      ...(route.rawBody
        ? {
            "413": {
              description: `Request body over ${route.rawBody.variable} (${route.rawBody.maxBytes} bytes on this server); the message names the limit`,
              content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
            },
          }
        : route.method === "POST"
          ? bodyTooLarge
          : {}),
    },
  };
}

export function buildOpenApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {
    "/me": {
      get: {
        operationId: "me",
        summary: "Who the token (or session) is, and its organization(s)",
        tags: ["auth"],
        security: [{ bearer: [] }, { session: [] }],
        responses: { "200": { description: "OK" }, "401": errorResponses["401"] },
      },
    },
  };
  for (const route of REST_ROUTES) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "HyperEnsemble API",
      version: "1",
      description:
        "REST API beside the tRPC API, for automation. Authenticate with `Authorization: Bearer hens_...`. " +
        `Token scopes: ${TOKEN_SCOPES.join(", ")}. See docs/api.md.`,
    },
    servers: [{ url: `${serverUrl}/api/v1` }],
    paths,
    components: {
      schemas: { Error: errorSchema, Hyperparameters: hyperparametersComponent },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "API token `hens_...`" },
        session: { type: "apiKey", in: "cookie", name: "authjs.session-token" },
      },
    },
  };
}
