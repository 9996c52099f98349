/**
 * Seeded random numbers, the engine's one home for them. Library code never calls Math.random.
 *
 * Two generators, by role, with their streams kept exactly as they were (seeded results, tests and
 * stored studies depend on them):
 * - `TrialRng` (sfc32, Box-Muller normals): everything random in a trial — pseudo-data, splits,
 *   folds, initial parameters, dropout masks, closure truths — each from a stream derived from the
 *   trial seed and a purpose tag (`deriveSeed`, `Stream`), so a trial is reproducible bit for bit and
 *   replica r's draws do not depend on how many replicas run beside it.
 * - `SearchRng` (xoshiro128**, polar normals): the samplers and schedulers, each seeded from its seed
 *   and the history it is asked about (`mixSeed`, `hashString`), so a proposal is reproducible and a
 *   resumed study proposes exactly what the uninterrupted one would have.
 * Both share the derived draws (uniform with 53 bits, integers, shuffles, weighted choices).
 */

/** 32-bit mix (murmur3 finaliser) used to derive independent stream seeds. */
function mix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Derive a trial stream seed from a base seed and integer tags (replica index, purpose...). */
export function deriveSeed(seed: number, ...tags: number[]): number {
  let h = mix32((Math.floor(seed) ^ 0x9e3779b9) >>> 0);
  for (const t of tags) h = mix32((h ^ mix32((Math.floor(t) + 0x7f4a7c15) >>> 0)) + 0x165667b1);
  return h >>> 0;
}

/** Purpose tags for derived trial streams. */
export const Stream = {
  levelOneNoise: 1,
  pseudoData: 2,
  split: 3,
  init: 4,
  dropout: 5,
  folds: 6,
  closureTruth: 7,
} as const;

/** Mixes any number of 32-bit integers into one well-spread 32-bit search seed (splitmix-style). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    h = (h + 0x6a09e667) | 0;
  }
  return h >>> 0;
}

/** Hashes a string to 32 bits (FNV-1a), for seeding from names such as a worker id. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The draws both generators derive from their 32-bit output. */
abstract class RandomStream {
  /** Uniform 32-bit unsigned integer. */
  abstract nextUint32(): number;
  /** Standard normal. */
  abstract normal(): number;

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Exponential with the given scale (mean). */
  exponential(scale: number): number {
    return -scale * Math.log(1 - this.uniform());
  }

  /** Index drawn with probability proportional to the (non-negative) weights. */
  choiceWeighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }
}

/** sfc32: small, fast, good-quality 32-bit generator; normals by Box-Muller (both values used). */
export class TrialRng extends RandomStream {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    super();
    this.a = deriveSeed(seed, 11);
    this.b = deriveSeed(seed, 12);
    this.c = deriveSeed(seed, 13);
    this.d = 1;
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  normal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const rad = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = rad * Math.sin(2 * Math.PI * v);
    return rad * Math.cos(2 * Math.PI * v);
  }
}

/** xoshiro128**: small state, good statistical quality; normals by the Marsaglia polar method. */
export class SearchRng extends RandomStream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    super();
    this.s0 = mixSeed(seed, 1);
    this.s1 = mixSeed(seed, 2);
    this.s2 = mixSeed(seed, 3);
    this.s3 = mixSeed(seed, 4);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * m;
        return u * m;
      }
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
