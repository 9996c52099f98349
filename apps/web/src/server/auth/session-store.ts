// Server-side state of browser sessions. The cookie is a JWT next-auth seals; on its own it would
// stay valid until it expires, so it also names a session row (`sid`, kept as its SHA-256 in the
// Session table) and the user's session version (`sv`) at sign-in. A cookie holds only while its row
// exists and has not run out, the user's version still matches and the user is not deactivated:
// signing out deletes the row, "sign out everywhere", a password change or reset and deactivation
// bump the version. Checked on every request (never cached), so a revocation takes effect on the
// next request in every process.
import { randomBytes } from "node:crypto";
import { type Db, type DbTransaction, extendSession, sessionState } from "@hyperensemble/db";
import { sha256Hex } from "./token";

/** What auth.ts puts into the session JWT beside `sub`. */
export interface SessionClaims {
  sub: string;
  sid: string;
  sv: number;
}

/** The session's idle lifetime; each use slides its end forward (at most once per RENEW_MS). */
export interface SessionPolicy {
  idleMs: number;
}
const RENEW_MS = 5 * 60_000;

export function sessionClaims(token: Record<string, unknown> | null | undefined): SessionClaims | null {
  const sub = token?.["sub"];
  const sid = token?.["sid"];
  const sv = token?.["sv"];
  if (typeof sub !== "string" || typeof sid !== "string" || typeof sv !== "number") return null;
  return { sub, sid, sv };
}

/** A new session for `userId` at sign-in; null when the user is missing or deactivated. */
export async function startSession(
  db: Db,
  userId: string,
  policy: SessionPolicy,
  now = new Date(),
): Promise<{ sid: string; sv: number } | null> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { sessionVersion: true, deactivatedAt: true },
  });
  if (!user || user.deactivatedAt) return null;
  const sid = randomBytes(24).toString("base64url");
  await db.session.create({
    data: { sessionToken: sha256Hex(sid), userId, expires: new Date(now.getTime() + policy.idleMs) },
  });
  // Sessions that ran out are swept as new ones start, so the table holds only live ones.
  await db.session.deleteMany({ where: { userId, expires: { lt: now } } });
  return { sid, sv: user.sessionVersion };
}

/** Whether the session `claims` name still holds at `now`; slides its idle end forward when it does. */
export async function sessionIsLive(
  db: Db,
  claims: SessionClaims,
  policy: SessionPolicy,
  now = new Date(),
): Promise<boolean> {
  const hash = sha256Hex(claims.sid);
  const state = await sessionState(db, claims.sub, hash);
  if (!state || state.deactivated || state.sessionVersion !== claims.sv || !state.expires) return false;
  if (state.expires.getTime() <= now.getTime()) return false;
  const slid = now.getTime() + policy.idleMs;
  if (slid - state.expires.getTime() >= RENEW_MS) await extendSession(db, hash, new Date(slid));
  return true;
}

/** Sign-out: this one session ends (a copy of its cookie is refused from the next request). */
export async function endSession(db: Db, sid: string): Promise<void> {
  await db.session.deleteMany({ where: { sessionToken: sha256Hex(sid) } });
}

/** Every session of the user ends: sign out everywhere, password change or reset, deactivation. */
export async function endAllSessions(db: Db | DbTransaction, userId: string): Promise<void> {
  await db.user.update({ where: { id: userId }, data: { sessionVersion: { increment: 1 } } });
  await db.session.deleteMany({ where: { userId } });
}
