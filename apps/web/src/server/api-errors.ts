// How errors leave the API (tRPC and REST alike).
//
// - An unexpected error (a Prisma or SQL error, a bug) is answered as a generic 500 "internal error"
//   with a request id; the detail goes to the server log under that id and never to the client, so
//   no table, column, constraint or query text reaches a user.
// - Every 429 carries Retry-After (and the RateLimit fields when a limiter decided it).
import { randomUUID } from "node:crypto";
import type { TRPCError } from "@trpc/server";

export const INTERNAL_ERROR_MESSAGE = "internal error";

/** The message a client sees for an internal error: generic, with the id to quote to an operator. */
export function internalErrorMessage(requestId: string): string {
  return `${INTERNAL_ERROR_MESSAGE} (request id ${requestId})`;
}

/** Log an unexpected error with a fresh request id (returned) so the client's answer can quote it. */
export function logInternalError(error: unknown, where: string): string {
  const requestId = randomUUID();
  const detail = error instanceof Error && error.cause !== undefined ? error.cause : error;
  console.error(`internal error ${requestId} in ${where}:`, detail);
  return requestId;
}

/** Retry-After when the limiter gave none (seconds): a client must never retry a 429 at once. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

/**
 * The headers of a 429 answer: the limiter's own (TokenRejection carries Retry-After and the RateLimit
 * fields), else a cause's `retryAfterSeconds`, else DEFAULT_RETRY_AFTER_SECONDS.
 */
export function tooManyRequestsHeaders(error: TRPCError): Record<string, string> {
  const cause = error.cause as { headers?: unknown; retryAfterSeconds?: unknown } | undefined;
  const own =
    cause?.headers !== null && typeof cause?.headers === "object"
      ? (cause.headers as Record<string, string>)
      : {};
  if (own["Retry-After"]) return own;
  const seconds =
    typeof cause?.retryAfterSeconds === "number" && Number.isFinite(cause.retryAfterSeconds)
      ? Math.max(1, Math.ceil(cause.retryAfterSeconds))
      : DEFAULT_RETRY_AFTER_SECONDS;
  return { ...own, "Retry-After": String(seconds) };
}
