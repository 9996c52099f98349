import { getToken } from "next-auth/jwt";
import { env } from "../../env";
import { isHttpsUrl } from "../security-headers";

// The browser session of an API request, without next-auth's full `auth()` round (which builds an
// internal request, runs the session callbacks and derives the key again on every call). The session
// is an encrypted JWT (A256CBC-HS512 with an HKDF-derived key): decrypting it is most of what a cached
// tRPC read costs, and a page polls the same cookie many times. A decoded cookie is remembered for at
// most CACHE_MS and never past the token's own expiry; the same cookie value always decodes to the same
// user, so the cache changes nothing but the cost. Sign-out deletes the cookie, as before.

// next-auth names the cookie `__Secure-…` (and sets Secure) when `sessionCookieOptions` turns secure
// cookies on; both names are read here, the name being the key's salt, so neither can pass as the other.
const COOKIE = "authjs.session-token";
const SECURE_COOKIE = `__Secure-${COOKIE}`;
const CACHE_MS = 60_000;
const MAX_ENTRIES = 5_000;

interface Entry {
  userId: string | null;
  until: number;
}

const cache = new Map<string, Entry>();

/**
 * next-auth's cookie mode (auth.ts): `__Secure-` names with the Secure flag whenever the public URL
 * (AUTH_URL) is https, even behind a proxy that does not forward the scheme. Otherwise next-auth decides
 * from the request URL, as before.
 */
export function sessionCookieOptions(publicUrl: string | undefined): { useSecureCookies?: true } {
  return isHttpsUrl(publicUrl) ? { useSecureCookies: true } : {};
}

/** The session cookie(s) as sent, chunks included (`name.0`, `name.1`…), or "" without one. */
function sessionCookies(cookieHeader: string): { value: string; secure: boolean } {
  let value = "";
  let secure = false;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const isSecure = name.startsWith(SECURE_COOKIE);
    if (!(isSecure || name.startsWith(COOKIE))) continue;
    secure ||= isSecure;
    value += `${name}=${part.slice(eq + 1).trim()};`;
  }
  return { value, secure };
}

/** The signed-in user's id from the request's session cookie, or null (none, invalid or expired). */
export async function sessionUserId(req: Request, now = Date.now()): Promise<string | null> {
  const { value, secure } = sessionCookies(req.headers.get("cookie") ?? "");
  if (!value) return null;
  const hit = cache.get(value);
  if (hit && hit.until > now) return hit.userId;
  // Only the cookie header goes in: a Bearer header is for API tokens (handled before this).
  const token = await getToken({
    req: { headers: new Headers({ cookie: value }) },
    secret: env.AUTH_SECRET,
    secureCookie: secure,
  });
  const userId = typeof token?.sub === "string" ? token.sub : null;
  const expires = typeof token?.exp === "number" ? token.exp * 1000 : now;
  cache.delete(value);
  // Invalid cookies are remembered briefly too, so a flood of them costs one decrypt each.
  cache.set(value, { userId, until: userId ? Math.min(now + CACHE_MS, expires) : now + CACHE_MS });
  if (cache.size > MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return userId;
}
