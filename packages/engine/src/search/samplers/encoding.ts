/**
 * Encodes configurations as points in the unit cube for surrogate models: numeric parameters on
 * their (log-)scaled [0, 1] axis, categorical ones one-hot. An inactive parameter's coordinates are
 * 0, so configurations that share the active structure are compared on their active values only.
 */
import type { SearchRng } from "../../rng.ts";
import {
  assignActive,
  fromUnit,
  orderedParamNames,
  ownSpec,
  ownValue,
  type ParamValue,
  type SearchSpace,
  toUnit,
} from "../space.ts";
import { sampleFromPrior, sampleParam } from "./common.ts";

export class UnitEncoder {
  readonly names: string[];
  readonly dims: number;
  private readonly offsets = new Map<string, number>();

  constructor(readonly space: SearchSpace) {
    this.names = orderedParamNames(space);
    let offset = 0;
    for (const name of this.names) {
      this.offsets.set(name, offset);
      const spec = ownSpec(space, name)!;
      offset += spec.type === "categorical" ? spec.choices.length : 1;
    }
    this.dims = offset;
  }

  encode(params: Readonly<Record<string, ParamValue>>): number[] {
    const x = new Array<number>(this.dims).fill(0);
    for (const name of this.names) {
      const value = ownValue(params, name);
      if (value === undefined) continue;
      const spec = ownSpec(this.space, name)!;
      const at = this.offsets.get(name)!;
      if (spec.type === "categorical") {
        const i = spec.choices.indexOf(value);
        if (i >= 0) x[at + i] = 1;
      } else {
        x[at] = toUnit(spec, value as number);
      }
    }
    return x;
  }

  /** A neighbour: numeric values moved by N(0, scale) in the unit cube, categoricals flipped with probability scale. */
  mutate(
    params: Readonly<Record<string, ParamValue>>,
    rng: SearchRng,
    scale: number,
  ): Record<string, ParamValue> {
    return assignActive(this.space, (name, spec) => {
      const current = ownValue(params, name);
      if (current === undefined) return sampleParam(spec, rng);
      if (spec.type === "categorical") {
        return rng.uniform() < Math.min(0.5, scale) ? spec.choices[rng.int(spec.choices.length)]! : current;
      }
      const u = toUnit(spec, current as number) + scale * rng.normal();
      return fromUnit(spec, Math.min(1, Math.max(0, u)));
    });
  }
}

export interface AcquisitionSearch {
  /** Random configurations scored first. */
  randomCandidates?: number;
  /** Local-search starts (best random candidates and best observed configurations). */
  localStarts?: number;
  localSteps?: number;
  /** Perturbations scored around each incumbent, and their scale range in the unit cube. */
  perturbations?: number;
  perturbScale?: [min: number, max: number];
  /** Initial and largest hill-climbing step. */
  climbScale?: number;
}

/**
 * Maximises an acquisition score over configurations: score random draws and neighbours of the
 * incumbents, then hill-climb from the best few with a shrinking step.
 */
export function maximiseAcquisition(
  encoder: UnitEncoder,
  score: (x: number[]) => number,
  incumbents: readonly Record<string, ParamValue>[],
  rng: SearchRng,
  search: AcquisitionSearch = {},
): Record<string, ParamValue> {
  const nRandom = search.randomCandidates ?? 512;
  const nStarts = search.localStarts ?? 4;
  const nSteps = search.localSteps ?? 25;
  const scored: Array<{ params: Record<string, ParamValue>; score: number }> = [];
  const consider = (params: Record<string, ParamValue>) => {
    const s = score(encoder.encode(params));
    scored.push({ params, score: Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s });
  };
  for (let i = 0; i < nRandom; i++) consider(sampleFromPrior(encoder.space, rng));
  const [lo, hi] = search.perturbScale ?? [0.02, 0.12];
  for (const inc of incumbents)
    for (let i = 0; i < (search.perturbations ?? 16); i++)
      consider(encoder.mutate(inc, rng, lo + (hi - lo) * rng.uniform()));
  scored.sort((a, b) => b.score - a.score);
  let best = scored[0]!;
  for (const start of scored.slice(0, nStarts)) {
    let current = start;
    const climb = search.climbScale ?? 0.1;
    let scale = climb;
    for (let step = 0; step < nSteps; step++) {
      const params = encoder.mutate(current.params, rng, scale);
      const s = score(encoder.encode(params));
      if (s > current.score) {
        current = { params, score: s };
        scale = Math.min(2 * climb, scale * 1.5);
      } else {
        scale = Math.max(0.002, scale * 0.7);
      }
    }
    if (current.score > best.score) best = current;
  }
  return best.params;
}
