// The sign-in throttle: a token bucket per account and one per client address, taken BEFORE the
// password hash runs, so a guessing client costs a database round trip, not an scrypt.
//
// The buckets live in Postgres (table SignInBucket), not in each web process: with N web replicas
// an in-memory throttle would allow N times the attempts, and a restart would forget it. Sign-ins
// are rare next to other requests, so one short transaction each costs nothing that matters; the
// bucket rule itself is rate-limit.ts's `takeToken`, the same as the API tokens' limiter.
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import type { Db } from "@hyperensemble/db";
import { type BucketRates, type RateLimitDecision, takeToken } from "./rate-limit";

export interface SignInLimits {
  /** Attempts per account (email) from a full bucket, and seconds to regain one. */
  accountAttempts: number;
  accountRefillSeconds: number;
  /** The same per client address, across all accounts. */
  addressAttempts: number;
  addressRefillSeconds: number;
}

export type SignInVerdict =
  | { allowed: true }
  | { allowed: false; scope: "account" | "address"; retryAfterSeconds: number };

/** A burst of sign-ins queues for the pool rather than failing after Prisma's default 2 s wait. */
const TRANSACTION = { maxWait: 15_000, timeout: 10_000 };

/** Token buckets stored as rows, one transaction per take; rows are locked, so replicas agree. */
export class PostgresTokenBuckets {
  private lastSweepMs = 0;

  constructor(
    private readonly db: Db,
    private readonly sweepEveryMs = 60_000,
  ) {}

  async take(key: string, nowMs: number, rates: BucketRates): Promise<RateLimitDecision> {
    const now = new Date(nowMs);
    const decision = await this.db.$transaction(async (tx) => {
      // The insert makes the row exist so FOR UPDATE has something to lock; a new bucket is full.
      await tx.$executeRaw`
        INSERT INTO "SignInBucket" ("key", "tokens", "updatedAt", "fullAt")
        VALUES (${key}, ${rates.capacity}, ${now}, ${now})
        ON CONFLICT ("key") DO NOTHING`;
      const rows = await tx.$queryRaw<{ tokens: number; updatedAt: Date }[]>`
        SELECT "tokens", "updatedAt" FROM "SignInBucket" WHERE "key" = ${key} FOR UPDATE`;
      const row = rows[0];
      const { state, decision } = takeToken(
        row ? { tokens: row.tokens, updatedMs: row.updatedAt.getTime() } : undefined,
        nowMs,
        rates,
      );
      const fullAt = new Date(nowMs + decision.resetSeconds * 1000);
      await tx.$executeRaw`
        UPDATE "SignInBucket" SET "tokens" = ${state.tokens}, "updatedAt" = ${now}, "fullAt" = ${fullAt}
        WHERE "key" = ${key}`;
      return decision;
    }, TRANSACTION);
    if (nowMs - this.lastSweepMs >= this.sweepEveryMs) {
      this.lastSweepMs = nowMs;
      // A full bucket is the same as no row: drop them so a spray of addresses does not grow the table.
      await this.db.$executeRaw`DELETE FROM "SignInBucket" WHERE "fullAt" < ${now}`;
    }
    return decision;
  }
}

/** The bucket key of an account: the email's hash, so the table holds no addresses of people. */
export function accountKey(email: string): string {
  return `account:${createHash("sha256").update(email.trim().toLowerCase()).digest("hex")}`;
}

export class SignInThrottle {
  private readonly account: BucketRates;
  private readonly address: BucketRates;

  constructor(
    private readonly buckets: PostgresTokenBuckets,
    limits: SignInLimits,
  ) {
    this.account = { capacity: limits.accountAttempts, refillPerSecond: 1 / limits.accountRefillSeconds };
    this.address = { capacity: limits.addressAttempts, refillPerSecond: 1 / limits.addressRefillSeconds };
  }

  /**
   * Take one attempt from the address's bucket, then from the account's. A refused address does not
   * drain the account (a client already stopped cannot lock its victim out further).
   */
  async attempt(
    { email, address }: { email: string; address: string },
    nowMs: number,
  ): Promise<SignInVerdict> {
    const byAddress = await this.buckets.take(`address:${address}`, nowMs, this.address);
    if (!byAddress.allowed) {
      return { allowed: false, scope: "address", retryAfterSeconds: byAddress.retryAfterSeconds };
    }
    const byAccount = await this.buckets.take(accountKey(email), nowMs, this.account);
    if (!byAccount.allowed) {
      return { allowed: false, scope: "account", retryAfterSeconds: byAccount.retryAfterSeconds };
    }
    return { allowed: true };
  }
}

/**
 * The client's address for throttling, from X-Forwarded-For. Next.js sets that header to the
 * socket's peer only when the request has none, so a client talking to the web directly can write
 * it. `trustedProxyHops` says how many proxies in front of the web append to it: the entry that
 * many places from the right is the one the outermost trusted proxy saw (fewer entries: the
 * leftmost). With 0 (exposed directly) the rightmost entry is used: the real peer unless the
 * client forged the header, which lets it dodge the per-address bucket but never the per-account
 * one. Values that are not IP addresses share one bucket; IPv6 addresses are grouped by /64, the
 * block one client usually holds.
 */
export function clientAddress(headers: Headers, trustedProxyHops: number): string {
  const entries = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  const index = Math.max(0, entries.length - Math.max(1, trustedProxyHops));
  return normaliseAddress(entries[index] ?? "");
}

function normaliseAddress(raw: string): string {
  const host = raw.replace(/^\[(.*)\](:\d+)?$/, "$1").replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, "$1");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped?.[1]) return mapped[1];
  const family = isIP(host);
  if (family === 4) return host;
  if (family === 6) return `${ipv6Prefix64(host)}/64`;
  return "unknown";
}

/** The first four 16-bit groups of a valid IPv6 address, expanded ("2001:db8::1" → "2001:db8:0:0"). */
function ipv6Prefix64(address: string): string {
  const [head = "", tail] = address.toLowerCase().split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  // An embedded IPv4 tail ("::ffff:1.2.3.4", "64:ff9b::1.2.3.4") fills two groups.
  const tailWidth = tailGroups.length + (tailGroups.at(-1)?.includes(".") ? 1 : 0);
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(8 - headGroups.length - tailWidth).fill("0"), ...tailGroups];
  return groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(":");
}
