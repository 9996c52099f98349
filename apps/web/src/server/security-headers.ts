// The security headers of every response (pages, API routes, static files), set by src/proxy.ts.
//
// The Content-Security-Policy allows scripts by nonce: App Router pages carry inline scripts (the RSC
// payload `self.__next_f.push(...)`, the theme script) that differ on every render, so hashes cannot
// list them, and 'unsafe-inline' would let any injected script run. Next reads the nonce from the CSP
// request header the proxy sets and stamps it on its own scripts; the root layout reads it for the theme
// script (which also makes every page render per request, as nonces require). Same-origin script files
// stay allowed by 'self': the bundles under /_next/static, and bull-board's at /admin/bull. Nothing the
// app serves from its own origin can pass as a script: every response is `nosniff` and user content
// (CSV exports, API JSON) is never `text/javascript`.
//
// Styles allow 'unsafe-inline': React renders `style` attributes (charts, progress bars) that a nonce
// cannot cover; CSS cannot run script, and everything else is locked down.
export interface SecurityHeaderOptions {
  /** The public URL (AUTH_URL): https adds Strict-Transport-Security and upgrade-insecure-requests. */
  publicUrl: string | undefined;
  /** `next dev`: React needs eval for its debugging stacks, and HMR a websocket. */
  development: boolean;
  /** Origins a sign-in form may send the browser on to (OAuth/OIDC providers). */
  formActionOrigins?: readonly string[];
}

/** One year: browsers keep to https for this long once they have seen the header over https. */
export const HSTS_MAX_AGE_SECONDS = 31_536_000;

export function isHttpsUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    return new URL(url).protocol === "https:";
  } catch {
    return false;
  }
}

/** 128 random bits, base64: unguessable and fresh for every response. */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
}

export function contentSecurityPolicy(nonce: string, options: SecurityHeaderOptions): string {
  const dev = options.development;
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", "'self'", `'nonce-${nonce}'`, ...(dev ? ["'unsafe-eval'"] : [])],
    ["style-src", "'self'", "'unsafe-inline'"],
    ["img-src", "'self'", "data:", "blob:"],
    ["font-src", "'self'", "data:"],
    ["connect-src", "'self'", ...(dev ? ["ws:", "wss:"] : [])],
    ["object-src", "'none'"],
    ["base-uri", "'self'"],
    ["form-action", "'self'", ...(options.formActionOrigins ?? [])],
    ["frame-ancestors", "'none'"],
    ...(isHttpsUrl(options.publicUrl) ? [["upgrade-insecure-requests"] as [string]] : []),
  ];
  return directives.map((d) => d.join(" ")).join("; ");
}

/** The headers every response gets; `nonce` is this response's script nonce. */
export function securityHeaders(nonce: string, options: SecurityHeaderOptions): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(nonce, options),
    // The CSP's frame-ancestors is the standard; X-Frame-Options covers browsers that predate it.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    // Only over https (AUTH_URL): HSTS on a plain-http install would lock its users out.
    ...(isHttpsUrl(options.publicUrl)
      ? { "Strict-Transport-Security": `max-age=${HSTS_MAX_AGE_SECONDS}` }
      : {}),
  };
}
