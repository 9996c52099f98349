// Responses from the API routes, made cheaper to send.
//
// Next gzips every route-handler response it can (the `compression` middleware), and since a route
// handler's body reaches it as a stream of unknown length (Next drops Content-Length), the middleware's
// 1 KB threshold never applies: each 80-byte tRPC answer got its own gzip stream, which cost more CPU
// than the procedure. A plain JSON body is small enough to buffer; under SMALL_BYTES it is marked
// `Cache-Control: no-transform`, the one signal that middleware honours, and goes out as it is.
// Larger bodies stay compressed. Streams (SSE subscriptions, JSON lines) pass through untouched.

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
