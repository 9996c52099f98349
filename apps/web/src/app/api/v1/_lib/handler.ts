import { fieldErrors as zodFieldErrors } from "@hyperensemble/platform/schema";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError } from "zod";
import {
  internalErrorMessage,
  logInternalError,
  tooManyRequestsHeaders,
} from "../../../../server/api-errors";
import { isCrossSiteRequest } from "../../../../server/auth/csrf";
import { rateLimitHeaders } from "../../../../server/auth/rate-limit";
import { type TokenPrincipal, TokenRejection } from "../../../../server/auth/token";
import { bodyTooLargeMessage, MAX_BODY_BYTES, readBodyCapped } from "../../../../server/http";
import { appRouter } from "../../../../server/routers/_app";
import { type Context, createCallerFactory } from "../../../../server/trpc";
import { buildOpenApiDocument } from "./openapi";
import { matchPath, REST_ROUTES, type RestRequestParts, type RestRoute } from "./routes";

export const API_PREFIX = "/api/v1";

export interface RestDeps {
  createContext(req: Request): Promise<Context>;
  /** The body cap (HENS_MAX_BODY_BYTES by default; tests pass a small one). */
  maxBodyBytes?: number;
  /** The cap of byte-body routes (their own, e.g. HENS_THEORY_MAX_BYTES, by default; tests pass a small one). */
  maxRawBodyBytes?: number;
}

const createCaller = createCallerFactory(appRouter);

interface ErrorBody {
  code: string;
  message: string;
  fieldErrors: Record<string, string> | null;
}

export function errorResponse(
  status: number,
  error: ErrorBody,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ error }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

/** `searchSpace: x.low must be < high` style messages name their field; lift it into fieldErrors. */
function fieldFromMessage(message: string): Record<string, string> | null {
  const match = /^([A-Za-z_][\w.[\]]*): (.+)$/s.exec(message);
  return match?.[1] && match[2] ? { [match[1]]: match[2] } : null;
}

/** A generic 500 naming only a request id; the error itself is logged under that id. */
function internalErrorResponse(err: unknown, where: string, headers: Record<string, string> = {}): Response {
  const requestId = logInternalError(err, where);
  return errorResponse(
    500,
    { code: "INTERNAL_SERVER_ERROR", message: internalErrorMessage(requestId), fieldErrors: null },
    { ...headers, "X-Request-Id": requestId },
  );
}

function trpcErrorResponse(err: TRPCError, where: string, headers: Record<string, string> = {}): Response {
  const status = getHTTPStatusCodeFromError(err);
  const cause = err.cause;
  if (status === 429) headers = { ...headers, ...tooManyRequestsHeaders(err) };
  if (cause instanceof TokenRejection) {
    return errorResponse(
      status,
      { code: err.code, message: err.message, fieldErrors: null },
      { ...headers, ...cause.headers },
    );
  }
  if (status >= 500) return internalErrorResponse(err, where, headers);
  const fields =
    cause instanceof ZodError ? zodFieldErrors(cause) : status === 400 ? fieldFromMessage(err.message) : null;
  const message =
    cause instanceof ZodError
      ? Object.entries(fields ?? {})
          .map(([k, v]) => `${k}: ${v}`)
          .join("; ")
      : err.message;
  return errorResponse(status, { code: err.code, message, fieldErrors: fields }, headers);
}

function payloadTooLarge(limit: number, variable?: string): Response {
  return errorResponse(413, {
    code: "PAYLOAD_TOO_LARGE",
    message: bodyTooLargeMessage(limit, variable),
    fieldErrors: null,
  });
}

/**
 * A byte body (rawBody routes) within its own cap: refused at once on a Content-Length over it, and
 * the moment the stream passes it, so an oversized upload is never held whole.
 */
async function readRawBody(
  req: Request,
  limit: number,
  variable: string,
): Promise<{ body: { contentType: string; body: Uint8Array } } | Response> {
  const bytes = await readBodyCapped(req, limit);
  if (bytes === null) return payloadTooLarge(limit, variable);
  return { body: { contentType: req.headers.get("content-type") ?? "", body: bytes } };
}

async function readJsonBody(req: Request, limit: number): Promise<{ body: unknown } | Response> {
  const bytes = await readBodyCapped(req, limit);
  if (bytes === null) return payloadTooLarge(limit);
  const text = bytes.toString("utf8");
  const type = req.headers.get("content-type");
  // A POST with no body at all (e.g. revoke) needs no Content-Type; any body must be JSON. HTML
  // forms always send a Content-Type, so this opens nothing to cross-site forms.
  if (type === null && text === "") return { body: {} };
  if (!/^application\/json\b/i.test(type ?? "")) {
    return errorResponse(415, {
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: "send the body as JSON with Content-Type: application/json",
      fieldErrors: null,
    });
  }
  if (text.trim() === "") return { body: {} };
  try {
    return { body: JSON.parse(text) };
  } catch (err) {
    return errorResponse(400, {
      code: "BAD_REQUEST",
      message: `body is not valid JSON: ${(err as Error).message}`,
      fieldErrors: { body: "not valid JSON" },
    });
  }
}

function findRoute(
  method: string,
  path: string,
): { route: RestRoute; params: Record<string, string> } | "method" | null {
  let pathMatched = false;
  for (const route of REST_ROUTES) {
    const params = matchPath(route.path, path);
    if (!params) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return pathMatched ? "method" : null;
}

function callProcedure(ctx: Context, procedure: string, input: unknown): Promise<unknown> {
  // The caller is a proxy over the router: walk `study.list` to the function and call it.
  let target: unknown = createCaller(ctx);
  for (const part of procedure.split(".")) target = (target as Record<string, unknown>)[part];
  return (target as (input: unknown) => Promise<unknown>)(input);
}

async function whoAmI(ctx: Context): Promise<Response> {
  const principal = ctx.principal as (Context["principal"] & Partial<TokenPrincipal>) | null;
  if (!principal)
    return errorResponse(401, {
      code: "UNAUTHORIZED",
      message: "sign in or send a token",
      fieldErrors: null,
    });
  const orgs = (await callProcedure(ctx, "org.mine", undefined)) as {
    slug: string;
    name: string;
    role: string;
  }[];
  if (!principal.orgId) return Response.json({ userId: principal.userId, token: null, orgs });
  // A token sees only its own org (and nothing when its creator has left it).
  const org = await ctx.db.organization.findUnique({
    where: { id: principal.orgId },
    select: { slug: true },
  });
  return Response.json({
    userId: principal.userId,
    token: { id: principal.tokenId, scopes: principal.scopes },
    orgs: orgs.filter((o) => o.slug === org?.slug),
  });
}

export async function handleRestRequest(req: Request, deps: RestDeps): Promise<Response> {
  try {
    return await answerRestRequest(req, deps);
  } catch (err) {
    // Anything not already answered (a failing /me lookup, a bug): generic, never the error's text.
    const path = new URL(req.url).pathname;
    return err instanceof TRPCError
      ? trpcErrorResponse(err, `REST ${req.method} ${path}`)
      : internalErrorResponse(err, `REST ${req.method} ${path}`);
  }
}

async function answerRestRequest(req: Request, deps: RestDeps): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : url.pathname;
  const method = req.method.toUpperCase();

  if (path === "/openapi.json" && method === "GET") {
    return Response.json(buildOpenApiDocument(url.origin));
  }
  const isMe = path === "/me";
  const found = isMe ? null : findRoute(method, path);
  if (!isMe && found === null) {
    return errorResponse(404, {
      code: "NOT_FOUND",
      message: `no route ${method} ${API_PREFIX}${path}`,
      fieldErrors: null,
    });
  }
  if ((isMe && method !== "GET") || found === "method") {
    return errorResponse(405, {
      code: "METHOD_NOT_SUPPORTED",
      message: `${method} not allowed here`,
      fieldErrors: null,
    });
  }

  let ctx: Context;
  try {
    ctx = await deps.createContext(req);
  } catch (err) {
    if (err instanceof TRPCError) return trpcErrorResponse(err, `REST ${method} ${path}`);
    throw err;
  }
  const principal = ctx.principal as (Context["principal"] & Partial<TokenPrincipal>) | null;
  const headers: Record<string, string> = {
    "Cache-Control": "no-store",
    ...(principal?.rateLimit ? rateLimitHeaders(principal.rateLimit) : {}),
  };
  if (isMe) return withHeaders(await whoAmI(ctx), headers);
  if (!found) throw new Error("unreachable: /me is answered above");
  const { route, params } = found;

  if (!principal) {
    return errorResponse(401, {
      code: "UNAUTHORIZED",
      message: "send Authorization: Bearer hens_...",
      fieldErrors: null,
    });
  }
  let body: unknown;
  if (route.method === "POST") {
    if (!principal.tokenId) {
      if (isCrossSiteRequest(req)) {
        return errorResponse(403, {
          code: "FORBIDDEN",
          message: "cross-site request refused",
          fieldErrors: null,
        });
      }
    }
    if (route.rawBody) {
      // Authorized before a byte of the body is read: a caller without the org, the role or the scope
      // gets its 404/403 at once instead of making the server read up to the route's cap.
      try {
        await callProcedure(ctx, route.procedure, { org: params["org"], authorizeOnly: true });
      } catch (err) {
        void req.body?.cancel().catch(() => {});
        if (err instanceof TRPCError) return trpcErrorResponse(err, `REST ${method} ${path}`, headers);
        throw err;
      }
    }
    const read = route.rawBody
      ? await readRawBody(req, deps.maxRawBodyBytes ?? route.rawBody.maxBytes, route.rawBody.variable)
      : await readJsonBody(req, deps.maxBodyBytes ?? MAX_BODY_BYTES);
    if (read instanceof Response) return withHeaders(read, headers);
    body = read.body;
  }
  const parts: RestRequestParts = { params, query: url.searchParams, body };
  const procedure = route.procedureFor?.(parts) ?? route.procedure;
  try {
    const result = await callProcedure(ctx, procedure, route.input(parts));
    if (route.stream) return route.stream({ ctx, result, req, parts, headers });
    return toResponse(route, result, headers);
  } catch (err) {
    if (err instanceof TRPCError)
      return trpcErrorResponse(err, `REST ${method} ${path} (${procedure})`, headers);
    throw err;
  }
}

function withHeaders(res: Response, headers: Record<string, string>): Response {
  for (const [k, v] of Object.entries(headers)) if (!res.headers.has(k)) res.headers.set(k, v);
  return res;
}

function toResponse(route: RestRoute, result: unknown, headers: Record<string, string>): Response {
  const csv = (result as { csv?: unknown; filename?: unknown } | null)?.csv;
  if (route.respond === "csv" && typeof csv === "string") {
    const filename = String((result as { filename?: unknown }).filename ?? "export.csv").replace(
      /[^\w.-]/g,
      "_",
    );
    return new Response(csv, {
      status: 200,
      headers: {
        ...headers,
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="${filename}"`,
      },
    });
  }
  // An Optuna JournalStorage file (format=optuna): JSON lines, saved as the file Optuna opens.
  const journal = (result as { journal?: unknown } | null)?.journal;
  if (route.respond === "csv" && typeof journal === "string") {
    const filename = String((result as { filename?: unknown }).filename ?? "optuna.log").replace(
      /[^\w.-]/g,
      "_",
    );
    return new Response(journal, {
      status: 200,
      headers: {
        ...headers,
        "Content-Type": "application/x-ndjson; charset=utf-8",
        "Content-Disposition": `attachment; filename="${filename}"`,
      },
    });
  }
  return Response.json(result ?? null, { status: route.successStatus ?? 200, headers });
}
