import { z } from "zod";
import { SearchRng } from "../../rng.ts";
import { defineSampler, option } from "../define.ts";
import { assignActive, fromUnit, orderedParamNames, type SearchSpace } from "../space.ts";
import type { Sampler, StoredTrial } from "../types.ts";
import { SOBOL_DIRECTIONS } from "./sobol-directions.ts";

const BITS = 32;
export const SOBOL_MAX_DIMS = SOBOL_DIRECTIONS.length + 1;

/** Direction numbers V[k] (as 32-bit integers) for one dimension. */
function directionNumbers(dim: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (dim === 0) {
    for (let k = 0; k < BITS; k++) v[k] = (1 << (31 - k)) >>> 0;
    return v;
  }
  const [poly, m] = SOBOL_DIRECTIONS[dim - 1]!;
  const s = m.length;
  for (let k = 0; k < s; k++) v[k] = (m[k]! << (31 - k)) >>> 0;
  for (let k = s; k < BITS; k++) {
    let value = v[k - s]! ^ (v[k - s]! >>> s);
    for (let j = 1; j < s; j++) if ((poly >>> (s - j)) & 1) value ^= v[k - j]!;
    v[k] = value >>> 0;
  }
  return v;
}

/** The unscrambled Sobol point with the given index, in Gray-code order (scipy's and Joe-Kuo's order). */
export function sobolPoint(index: number, dims: number, shifts?: Uint32Array): number[] {
  if (dims > SOBOL_MAX_DIMS) throw new Error(`Sobol supports at most ${SOBOL_MAX_DIMS} dimensions`);
  const gray = (index ^ (index >>> 1)) >>> 0;
  const point: number[] = [];
  for (let d = 0; d < dims; d++) {
    const v = directionNumbers(d);
    let x = shifts?.[d] ?? 0;
    for (let k = 0; k < BITS; k++) if ((gray >>> k) & 1) x ^= v[k]!;
    point.push((x >>> 0) / 2 ** 32);
  }
  return point;
}

/**
 * Sobol quasi-random points: trial n gets point n of the sequence, so coverage is even at any budget.
 * A seeded random digital shift decorrelates studies; `scramble: false` gives the textbook sequence.
 * Each parameter owns one dimension (conditional ones included), so inactive ones simply go unused.
 */
export class SobolSampler implements Sampler {
  readonly name = "sobol";
  constructor(
    private readonly seed: number,
    private readonly scramble = true,
  ) {}

  ask(space: SearchSpace, trials: readonly StoredTrial[]) {
    const names = orderedParamNames(space);
    let shifts: Uint32Array | undefined;
    if (this.scramble) {
      const rng = new SearchRng(this.seed);
      shifts = Uint32Array.from(names, () => rng.nextUint32());
    }
    const u = sobolPoint(trials.length, names.length, shifts);
    const dimOf = new Map(names.map((n, i) => [n, i]));
    return assignActive(space, (name, spec) => {
      const x = u[dimOf.get(name)!]!;
      if (spec.type === "categorical")
        return spec.choices[Math.min(spec.choices.length - 1, Math.floor(x * spec.choices.length))]!;
      return fromUnit(spec, x);
    });
  }
}

export const sobolEntry = defineSampler({
  name: "sobol",
  description: "Sobol quasi-random points: even coverage at any budget, no model.",
  options: z
    .object({
      scramble: option(z.boolean(), {
        description: "Seeded random digital shift, so studies with different seeds differ",
        default: true,
      }),
    })
    .strict(),
  create: (seed, options) => new SobolSampler(seed, options.scramble ?? true),
});
