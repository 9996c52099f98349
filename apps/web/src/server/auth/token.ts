import { createHash, randomBytes } from "node:crypto";
import type { Db } from "@hyperensemble/db";
import { TRPCError } from "@trpc/server";
import { type RateLimitDecision, rateLimitHeaders, TokenBucketLimiter } from "./rate-limit";

export { TOKEN_SCOPES, type TokenScope } from "../../lib/token-scopes";

export const TOKEN_PREFIX = "hens_";
/** 24 random bytes = 192 bits, base64url: 32 characters after the prefix. */
const TOKEN_BYTES = 24;
/** What the UI shows to tell tokens apart: the prefix plus the first 8 random characters. */
const DISPLAY_LENGTH = TOKEN_PREFIX.length + 8;
/** lastUsedAt is written at most this often per token (one row update, not one per request). */
export const LAST_USED_RESOLUTION_MS = 60_000;

const TOKEN_SHAPE = /^hens_[A-Za-z0-9_-]{32}$/;

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/** A new token: the plaintext is returned once to the caller and never stored. */
export function generateApiToken(): { token: string; prefix: string; tokenHash: string } {
  const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString("base64url");
  return { token, prefix: token.slice(0, DISPLAY_LENGTH), tokenHash: sha256Hex(token) };
}

/** Why a bearer token was refused, with the HTTP status and headers REST should answer with. */
export class TokenRejection extends Error {
  override name = "TokenRejection";
  constructor(
    message: string,
    readonly status: 401 | 429,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface TokenPrincipal {
  userId: string;
  orgId: string;
  tokenId: string;
  scopes: readonly string[];
  rateLimit: RateLimitDecision;
}

export interface TokenAuthOptions {
  now?: () => Date;
  limiter?: TokenBucketLimiter;
}

// One limiter per server process (documented in docs/api.md: limits are per process, not global).
const globalForLimiter = globalThis as unknown as { hensTokenLimiter?: TokenBucketLimiter };
export const defaultLimiter = globalForLimiter.hensTokenLimiter ?? new TokenBucketLimiter();
globalForLimiter.hensTokenLimiter = defaultLimiter;

/**
 * Verify `token` against the stored hashes: unknown, revoked and expired tokens are refused alike
 * (401); a token over its rate is refused with 429 and Retry-After. lastUsedAt is a compare-and-set
 * so that concurrent requests and processes write it at most once per LAST_USED_RESOLUTION_MS.
 */
export async function authenticateToken(
  db: Db,
  token: string,
  options: TokenAuthOptions = {},
): Promise<TokenPrincipal> {
  const now = options.now?.() ?? new Date();
  if (!TOKEN_SHAPE.test(token)) throw new TokenRejection("invalid API token", 401);
  const row = await db.apiToken.findUnique({
    where: { tokenHash: sha256Hex(token) },
    select: {
      id: true,
      orgId: true,
      userId: true,
      scopes: true,
      expiresAt: true,
      revokedAt: true,
      lastUsedAt: true,
    },
  });
  if (!row) throw new TokenRejection("invalid API token", 401);
  if (row.revokedAt) throw new TokenRejection("API token revoked", 401);
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) {
    throw new TokenRejection("API token expired", 401);
  }
  // A deactivated user's tokens stop with their sessions, from the next request on.
  const owner = await db.user.findUnique({ where: { id: row.userId }, select: { deactivatedAt: true } });
  if (!owner || owner.deactivatedAt) throw new TokenRejection("API token's user is deactivated", 401);
  const limiter = options.limiter ?? defaultLimiter;
  const decision = limiter.take(row.id, now.getTime());
  if (!decision.allowed) {
    throw new TokenRejection("rate limit exceeded for this API token", 429, rateLimitHeaders(decision));
  }
  const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  if (!row.lastUsedAt || row.lastUsedAt < staleBefore) {
    await db.apiToken.updateMany({
      where: {
        id: row.id,
        orgId: row.orgId,
        OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: staleBefore } }],
      },
      data: { lastUsedAt: now },
    });
  }
  return { userId: row.userId, orgId: row.orgId, tokenId: row.id, scopes: row.scopes, rateLimit: decision };
}

/** The bearer token of a request, if it names one of ours (other schemes are not ours to judge). */
export function bearerToken(req: Request): string | null {
  const header = req.headers.get("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new TokenRejection("Authorization must be `Bearer hens_...`", 401);
  return match[1];
}

/**
 * createContext's token step: null when the request carries no Authorization header; otherwise a
 * principal, or a TRPCError (UNAUTHORIZED / TOO_MANY_REQUESTS) whose cause is the TokenRejection.
 */
export async function authenticateBearer(
  db: Db,
  req: Request,
  options: TokenAuthOptions = {},
): Promise<TokenPrincipal | null> {
  try {
    const token = bearerToken(req);
    if (token === null) return null;
    return await authenticateToken(db, token, options);
  } catch (err) {
    if (err instanceof TokenRejection) {
      throw new TRPCError({
        code: err.status === 429 ? "TOO_MANY_REQUESTS" : "UNAUTHORIZED",
        message: err.message,
        cause: err,
      });
    }
    throw err;
  }
}
