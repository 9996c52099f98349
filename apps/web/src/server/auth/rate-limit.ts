/**
 * A token bucket per API token, in memory in each web process. With N web processes a token gets up
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

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class TokenBucketLimiter {
  readonly capacity: number;
  readonly refillPerSecond: number;
  private readonly maxBuckets: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: TokenBucketOptions = {}) {
    this.capacity = options.capacity ?? 120;
    this.refillPerSecond = options.refillPerSecond ?? 2;
    this.maxBuckets = options.maxBuckets ?? 10_000;
  }

  take(key: string, nowMs: number): RateLimitDecision {
    const bucket = this.refill(key, nowMs);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    const missing = this.capacity - bucket.tokens;
    return {
      allowed,
      limit: this.capacity,
      remaining: Math.floor(bucket.tokens),
      resetSeconds: Math.ceil(missing / this.refillPerSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerSecond)),
    };
  }

  private refill(key: string, nowMs: number): Bucket {
    const existing = this.buckets.get(key);
    if (existing) {
      const elapsed = Math.max(0, nowMs - existing.updatedMs) / 1000;
      existing.tokens = Math.min(this.capacity, existing.tokens + elapsed * this.refillPerSecond);
      existing.updatedMs = nowMs;
      // Re-insert so Map order is least-recently-used first.
      this.buckets.delete(key);
      this.buckets.set(key, existing);
      return existing;
    }
    if (this.buckets.size >= this.maxBuckets) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    const bucket = { tokens: this.capacity, updatedMs: nowMs };
    this.buckets.set(key, bucket);
    return bucket;
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
