/**
 * Token buckets. `takeToken` is the rule; `TokenBucketLimiter` keeps one bucket per API token in
 * memory in each web process (the sign-in throttle keeps its buckets in Postgres instead, see
 * sign-in-throttle.ts). With N web processes a token gets up
 * to N times the rate; that is acceptable for abuse protection (documented in docs/api.md) and
 * needs no shared store. Buckets idle long enough to be full again are dropped.
 */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Seconds until one request is allowed again (Retry-After); 0 when allowed. */
  retryAfterSeconds: number;
}

export interface TokenBucketOptions {
  /** Burst size: requests allowed at once from a full bucket. */
  capacity?: number;
  /** Sustained requests per second. */
  refillPerSecond?: number;
  /** Cap on buckets kept (oldest dropped first). */
  maxBuckets?: number;
}

/** One bucket's state: tokens left as of `updatedMs`. */
export interface BucketState {
  tokens: number;
  updatedMs: number;
}

/** A bucket's shape: burst size and sustained rate. */
export interface BucketRates {
  capacity: number;
  refillPerSecond: number;
}

/**
 * The token-bucket rule, in one place for every store (this file's in-memory limiter, the sign-in
 * throttle's Postgres rows): refill `state` up to `nowMs` (a missing bucket is full; a clock that
 * went backwards refills nothing), then take one token if a whole one is there.
 */
export function takeToken(
  state: BucketState | undefined,
  nowMs: number,
  { capacity, refillPerSecond }: BucketRates,
): { state: BucketState; decision: RateLimitDecision } {
  const elapsed = state ? Math.max(0, nowMs - state.updatedMs) / 1000 : 0;
  let tokens = state ? Math.min(capacity, state.tokens + elapsed * refillPerSecond) : capacity;
  const allowed = tokens >= 1;
  if (allowed) tokens -= 1;
  const missing = capacity - tokens;
  return {
    state: { tokens, updatedMs: nowMs },
    decision: {
      allowed,
      limit: capacity,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil(missing / refillPerSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / refillPerSecond)),
    },
  };
}

export class TokenBucketLimiter {
  readonly capacity: number;
  readonly refillPerSecond: number;
  private readonly maxBuckets: number;
  private readonly buckets = new Map<string, BucketState>();

  constructor(options: TokenBucketOptions = {}) {
    this.capacity = options.capacity ?? 120;
    this.refillPerSecond = options.refillPerSecond ?? 2;
    this.maxBuckets = options.maxBuckets ?? 10_000;
  }

  take(key: string, nowMs: number): RateLimitDecision {
    const existing = this.buckets.get(key);
    const { state, decision } = takeToken(existing, nowMs, this);
    // Delete and re-insert so Map order is least-recently-used first.
    this.buckets.delete(key);
    if (!existing && this.buckets.size >= this.maxBuckets) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    this.buckets.set(key, state);
    return decision;
  }
}

/** The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers) plus Retry-After. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(decision.resetSeconds),
  };
  if (!decision.allowed) headers["Retry-After"] = String(decision.retryAfterSeconds);
  return headers;
}
