import type { Db } from "@hyperensemble/db";
import { getToken } from "next-auth/jwt";
import { env } from "../../env";
import { db as defaultDb } from "../db";
import { isHttpsUrl } from "../security-headers";
import { type SessionClaims, sessionClaims, sessionIsLive } from "./session-store";

// The browser session of an API request, without next-auth's full `auth()` round (which builds an
// internal request, runs the session callbacks and derives the key again on every call). The session
// is an encrypted JWT (A256CBC-HS512 with an HKDF-derived key): decrypting it is most of what a cached
// tRPC read costs, and a page polls the same cookie many times. A decoded cookie is remembered for at
// most CACHE_MS and never past the token's own expiry; the same cookie value always decodes to the same
// claims, so the cache changes nothing but the cost. Whether the session still holds (signed out,
// signed out everywhere, password changed, user deactivated) is NOT cached: session-store.ts asks the
// database on every request, so no revocation waits for the cache.

// next-auth names the cookie `__Secure-…` (and sets Secure) when `sessionCookieOptions` turns secure
// cookies on; both names are read here, the name being the key's salt, so neither can pass as the other.
const COOKIE = "authjs.session-token";
const SECURE_COOKIE = `__Secure-${COOKIE}`;
const CACHE_MS = 60_000;
const MAX_ENTRIES = 5_000;

interface Entry {
  claims: SessionClaims | null;
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

/** The session cookie's claims (decrypted and checked for expiry), or null; cached per cookie value. */
export async function decodeSessionCookie(req: Request, now = Date.now()): Promise<SessionClaims | null> {
  const { value, secure } = sessionCookies(req.headers.get("cookie") ?? "");
  if (!value) return null;
  const hit = cache.get(value);
  if (hit && hit.until > now) return hit.claims;
  // Only the cookie header goes in: a Bearer header is for API tokens (handled before this).
  const token = await getToken({
    req: { headers: new Headers({ cookie: value }) },
    secret: env.AUTH_SECRET,
    secureCookie: secure,
  });
  const claims = sessionClaims(token);
  const expires = typeof token?.exp === "number" ? token.exp * 1000 : now;
  cache.delete(value);
  // Invalid cookies are remembered briefly too, so a flood of them costs one decrypt each.
  cache.set(value, { claims, until: claims ? Math.min(now + CACHE_MS, expires) : now + CACHE_MS });
  if (cache.size > MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return claims;
}

/** The session's idle lifetime (HENS_SESSION_IDLE_HOURS). */
export const sessionPolicy = { idleMs: env.HENS_SESSION_IDLE_HOURS * 3_600_000 };

/**
 * The signed-in user's id from the request's session cookie, or null: none, invalid, expired, or a
 * session that has ended (signed out, revoked, user deactivated).
 */
export async function sessionUserId(
  req: Request,
  now = Date.now(),
  db: Db = defaultDb,
): Promise<string | null> {
  const claims = await decodeSessionCookie(req, now);
  if (!claims) return null;
  return (await sessionIsLive(db, claims, sessionPolicy, new Date(now))) ? claims.sub : null;
}
