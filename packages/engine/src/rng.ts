/**
 * Seeded random numbers for the engine. Every random draw in a trial comes from a stream derived from
 * the trial seed and a purpose tag, so a trial is reproducible bit for bit and replica r's draws do
 * not depend on how many replicas run beside it.
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

/** Derive a stream seed from a base seed and any number of integer tags (replica index, purpose...). */
export function deriveSeed(seed: number, ...tags: number[]): number {
  let h = mix32((Math.floor(seed) ^ 0x9e3779b9) >>> 0);
  for (const t of tags) h = mix32((h ^ mix32((Math.floor(t) + 0x7f4a7c15) >>> 0)) + 0x165667b1);
  return h >>> 0;
}

/** Purpose tags for derived streams. */
export const Stream = {
  levelOneNoise: 1,
  pseudoData: 2,
  split: 3,
  init: 4,
  dropout: 5,
  folds: 6,
  closureTruth: 7,
} as const;

/** sfc32: small, fast, good-quality 32-bit generator. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
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

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller, both values used). */
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

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}
