// /api/trpc over HTTP: tRPC's fetch adapter with the API's limits around it.
//
// - The body is capped (HENS_MAX_BODY_BYTES, http.ts): tRPC reads `req.json()` whole, so the route hands
//   it a stream that errors with PAYLOAD_TOO_LARGE once the cap is passed; tRPC answers 413 in its own
//   envelope (batches too), and a Content-Length above the cap is refused without reading a byte.
// - Every 429 carries Retry-After (and RateLimit-* when an API token's limiter decided it); a generic
//   500 carries its request id in X-Request-Id.
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { tooManyRequestsHeaders } from "./api-errors";
import { bodyTooLargeMessage, capStream, declaresTooLarge, MAX_BODY_BYTES } from "./http";
import type { AppRouter } from "./routers/_app";
import type { Context } from "./trpc";

export interface TrpcHttpDeps {
  router: AppRouter;
  createContext(req: Request): Promise<Context>;
  maxBodyBytes?: number;
}

/** A stream that fails at once: the declared length is already over the cap. */
function failedStream(error: Error): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.error(error);
    },
  });
}

/** `req` with its body behind the cap (GET and bodiless requests pass as they are). */
export function withCappedBody(req: Request, limit: number): Request {
  if (!req.body) return req;
  const tooLarge = () => new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: bodyTooLargeMessage(limit) });
  let body: ReadableStream<Uint8Array>;
  if (declaresTooLarge(req, limit)) {
    void req.body.cancel().catch(() => {});
    body = failedStream(tooLarge());
  } else {
    body = capStream(req.body, limit, tooLarge);
  }
  return new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body,
    signal: req.signal,
    // A stream body needs half duplex (Node's fetch); the DOM typings do not know the field yet.
    duplex: "half",
  } as RequestInit);
}

export function handleTrpcRequest(req: Request, deps: TrpcHttpDeps): Promise<Response> {
  const capped = withCappedBody(req, deps.maxBodyBytes ?? MAX_BODY_BYTES);
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: capped,
    router: deps.router,
    createContext: () => deps.createContext(capped),
    responseMeta({ errors, data }) {
      const headers: Record<string, string> = {};
      const limited = errors.find((e) => e.code === "TOO_MANY_REQUESTS");
      if (limited) Object.assign(headers, tooManyRequestsHeaders(limited));
      // The id of a generic 500 (trpc.ts errorFormatter) also as a header, as REST sends it.
      const requestId = data
        .map((d) =>
          "error" in d ? (d.error.data as { requestId?: unknown } | undefined)?.requestId : undefined,
        )
        .find((id): id is string => typeof id === "string");
      if (requestId) headers["X-Request-Id"] = requestId;
      return { headers };
    },
  });
}
