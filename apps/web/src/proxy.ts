import { type NextRequest, NextResponse } from "next/server";
import { env } from "./env";
import { PATH_HEADER } from "./lib/callback-url";
import { oidcFormActionOrigins } from "./lib/oidc";
import { newNonce, securityHeaders } from "./server/security-headers";

// Every request passes here (pages, API routes, static files): it gets a fresh CSP nonce, which Next
// reads from the request's Content-Security-Policy header to stamp its own scripts, and the response
// gets the security headers (server/security-headers.ts explains the policy).
const options = {
  publicUrl: env.AUTH_URL,
  development: env.NODE_ENV === "development",
  formActionOrigins: oidcFormActionOrigins(),
};

export function proxy(request: NextRequest) {
  const nonce = newNonce();
  const headers = securityHeaders(nonce, options);
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  // The page asked for, so a layout that sends a signed-out visitor to /signin can bring them back.
  requestHeaders.set(PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  requestHeaders.set("content-security-policy", headers["Content-Security-Policy"] ?? "");
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

// Every path but the multipart theory upload (POST /api/v1/orgs/{org}/datasets/theory). Next buffers a
// request body for the proxy, up to proxyClientMaxBodySize (next.config.ts: the JSON cap), and passes on
// only that much: a theory of hundreds of MB (HENS_THEORY_MAX_BYTES) would be cut short, or the buffer
// raised for every route. Unproxied, the route reads its body as a stream within its own cap; its
// answers are JSON and need no page headers.
export const config = {
  matcher: ["/((?!api/v1/orgs/[^/]+/datasets/theory$).*)"],
};
