/**
 * Cross-site request refusal for cookie-authenticated mutations. Browsers attach the session cookie
 * to cross-site POSTs; they also say where a request comes from. `Sec-Fetch-Site` (every current
 * browser) is trusted alone, since the Origin-versus-URL comparison can be fooled by a proxy that
 * rewrites Host; `Origin` is the fallback. Requests with neither header (curl, scripts) carry no
 * ambient browser credentials to abuse and pass. Bearer-token requests are not checked at all: a
 * browser never adds the token on its own.
 */
export function isCrossSiteRequest(req: Request): boolean {
  const site = req.headers.get("sec-fetch-site");
  if (site !== null) return site !== "same-origin" && site !== "none";
  const origin = req.headers.get("origin");
  if (origin === null) return false;
  try {
    return origin !== new URL(req.url).origin;
  } catch {
    return true;
  }
}
