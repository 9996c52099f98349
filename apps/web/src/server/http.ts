// Responses from the API routes, made cheaper to send; and the one cap on request bodies (below).
//
// Next gzips every route-handler response it can (the `compression` middleware), and since a route
// handler's body reaches it as a stream of unknown length (Next drops Content-Length), the middleware's
// 1 KB threshold never applies: each 80-byte tRPC answer got its own gzip stream, which cost more CPU
// than the procedure. A plain JSON body is small enough to buffer; under SMALL_BYTES it is marked
// `Cache-Control: no-transform`, the one signal that middleware honours, and goes out as it is.
// Larger bodies stay compressed. Streams (SSE subscriptions, JSON lines) pass through untouched.

import { env } from "../env";

const SMALL_BYTES = 1024;
const JSON_TYPE = /^application\/json\b/i;

export async function sendSmallUncompressed(res: Response): Promise<Response> {
  if (!res.body || !JSON_TYPE.test(res.headers.get("content-type") ?? "")) return res;
  const body = await res.arrayBuffer();
  const headers = new Headers(res.headers);
  if (body.byteLength < SMALL_BYTES) {
    const cacheControl = headers.get("cache-control");
    headers.set("cache-control", cacheControl ? `${cacheControl}, no-transform` : "no-transform");
  }
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

// --- Request bodies ---------------------------------------------------------------------------------
//
// One cap for every body the API reads (tRPC and REST): HENS_MAX_BODY_BYTES, default 12 MiB (a 10 MiB
// dataset upload plus JSON escaping and the envelope). A body is read as a stream and refused the moment
// it passes the cap, so an oversized or endless (chunked) body never sits in memory whole; a declared
// Content-Length above the cap is refused before one byte is read. A route whose body is bytes has its
// own cap (the multipart theory upload: HENS_THEORY_MAX_BYTES), read the same way.

export const MAX_BODY_BYTES = env.HENS_MAX_BODY_BYTES;

export function bodyTooLargeMessage(
  limit: number = MAX_BODY_BYTES,
  variable = "HENS_MAX_BODY_BYTES",
): string {
  return `request body is larger than ${limit} bytes (${variable})`;
}

/** True when the request declares a Content-Length above `limit` (refuse without reading). */
export function declaresTooLarge(req: Request, limit: number = MAX_BODY_BYTES): boolean {
  const declared = Number(req.headers.get("content-length") ?? "0");
  return Number.isFinite(declared) && declared > limit;
}

/**
 * `body` passed through until it exceeds `limit` bytes; then the stream errors with `tooLarge()` and the
 * source is cancelled, so whoever reads it (tRPC's `req.json()`) fails instead of buffering more.
 */
export function capStream(
  body: ReadableStream<Uint8Array>,
  limit: number,
  tooLarge: () => Error,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let size = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      size += value.byteLength;
      if (size > limit) {
        controller.error(tooLarge());
        await reader.cancel().catch(() => {});
        return;
      }
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** The whole body as bytes, or null once it passes `limit` (a chunked body has no Content-Length). */
export async function readBodyCapped(req: Request, limit: number = MAX_BODY_BYTES): Promise<Buffer | null> {
  if (declaresTooLarge(req, limit)) return null;
  if (!req.body) return Buffer.alloc(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
