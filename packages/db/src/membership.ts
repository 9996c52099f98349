import pg from "pg";
import { parseDatabaseUrl } from "./url.ts";

// The lookups every org-scoped API request and every page starts with (the org named in the request and the caller's
// role in it), sent through a small pg pool of its own instead of Prisma: through Prisma's query
// compiler this one-row join cost about 5× the CPU (0.44 ms against 0.08 ms measured), which at
// hundreds of requests a second was a fifth of the web server's time. It is read-only, parameterised
// and never cached, so a removed member loses access on the very next request.

// Held on globalThis: a bundler may load this module more than once (Next puts it in several server
// chunks), while the one Prisma client (apps/web/src/server/db.ts) is shared through globalThis; a
// module-level map would then not know a client that another copy of the module registered.
interface Registry {
  urls: WeakMap<object, string>;
  pools: WeakMap<object, pg.Pool>;
}
const holder = globalThis as { hensDbRegistry?: Registry };
holder.hensDbRegistry ??= { urls: new WeakMap(), pools: new WeakMap() };
const registry: Registry = holder.hensDbRegistry;
const urls = registry.urls;
const pools = registry.pools;

/** Called by createDb: remember which database a client talks to. */
export function rememberUrl(db: object, url: string): void {
  urls.set(db, url);
}

function poolFor(db: object): pg.Pool {
  const existing = pools.get(db);
  if (existing) return existing;
  const url = urls.get(db);
  if (!url) throw new Error("orgMembership: pass a client made by createDb");
  const pool = new pg.Pool({
    ...parseDatabaseUrl(url),
    max: 4,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // An idle connection dropped by a Postgres restart must not crash the process; the next query
  // opens a new one (and a query while Postgres is down fails like any other).
  pool.on("error", () => {});
  pools.set(db, pool);
  return pool;
}

export interface OrgMembership {
  org: { id: string; slug: string; name: string };
  role: string;
}

/** The org with this slug and `userId`'s role in it; null when either is missing. */
export async function orgMembership(db: object, slug: string, userId: string): Promise<OrgMembership | null> {
  const { rows } = await poolFor(db).query<{ id: string; slug: string; name: string; role: string }>(
    `SELECT o."id", o."slug", o."name", m."role"::text AS "role"
     FROM "Organization" o JOIN "Membership" m ON m."orgId" = o."id"
     WHERE o."slug" = $1 AND m."userId" = $2 AND o."deletedAt" IS NULL`,
    [slug, userId],
  );
  const row = rows[0];
  return row ? { org: { id: row.id, slug: row.slug, name: row.name }, role: row.role } : null;
}

export interface UserMembership {
  orgId: string;
  slug: string;
  name: string;
  role: string;
}

/** Every org `userId` belongs to with their role, oldest membership first (the org switcher). */
export async function userMemberships(db: object, userId: string): Promise<UserMembership[]> {
  const { rows } = await poolFor(db).query<UserMembership>(
    `SELECT o."id" AS "orgId", o."slug", o."name", m."role"::text AS "role"
     FROM "Membership" m JOIN "Organization" o ON o."id" = m."orgId"
     WHERE m."userId" = $1 AND o."deletedAt" IS NULL ORDER BY m."createdAt", m."id"`,
    [userId],
  );
  return rows;
}

export interface SessionState {
  sessionVersion: number;
  deactivated: boolean;
  /** When the browser session `sessionHash` ends (null: no such session, or signed out). */
  expires: Date | null;
}

/**
 * What decides whether a session cookie still holds (apps/web/src/server/auth/session-store.ts):
 * the user's session version, deactivation and the session's own row. Asked on every request,
 * never cached, through the same pool as the membership lookup.
 */
export async function sessionState(
  db: object,
  userId: string,
  sessionHash: string,
): Promise<SessionState | null> {
  const { rows } = await poolFor(db).query<{
    sessionVersion: number;
    deactivated: boolean;
    expires: Date | null;
  }>(
    `SELECT u."sessionVersion", u."deactivatedAt" IS NOT NULL AS "deactivated", s."expires"
     FROM "User" u LEFT JOIN "Session" s ON s."sessionToken" = $2 AND s."userId" = u."id"
     WHERE u."id" = $1`,
    [userId, sessionHash],
  );
  return rows[0] ?? null;
}

/** Slide a session's end forward (idle lifetime), at most as far as `until`. */
export async function extendSession(db: object, sessionHash: string, until: Date): Promise<void> {
  await poolFor(db).query(
    `UPDATE "Session" SET "expires" = $2 WHERE "sessionToken" = $1 AND "expires" < $2`,
    [sessionHash, until],
  );
}

/** Close the lookup pool of `db`, if one was opened (tests and shutdown). */
export async function closeMembershipPool(db: object): Promise<void> {
  const pool = pools.get(db);
  pools.delete(db);
  await pool?.end();
}
