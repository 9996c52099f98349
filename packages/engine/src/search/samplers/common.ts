import { SearchRng } from "../../rng.ts";
import {
  assignActive,
  fromInternal,
  internalBounds,
  type ParamSpec,
  type ParamValue,
  type SearchSpace,
} from "../space.ts";
import type { StoredTrial } from "../types.ts";

/** One random draw from the prior: uniform on each parameter's internal (log) scale. */
export function sampleFromPrior(space: SearchSpace, rng: SearchRng): Record<string, ParamValue> {
  return assignActive(space, (_name, spec) => sampleParam(spec, rng));
}

/** One parameter drawn from its prior. */
export function sampleParam(spec: ParamSpec, rng: SearchRng): ParamValue {
  if (spec.type === "categorical") return spec.choices[rng.int(spec.choices.length)]!;
  const [lo, hi] = internalBounds(spec);
  return fromInternal(spec, rng.uniformIn(lo, hi));
}

/** The generator for one ask: a function of the sampler's seed and the history length only. */
export function askRng(seed: number, trials: readonly StoredTrial[], salt = 0): SearchRng {
  return new SearchRng((seed * 1000003 + trials.length * 7919 + salt) >>> 0);
}

/** Stable string key of an assignment, for comparing configurations. */
export function paramsKey(params: Readonly<Record<string, ParamValue>>): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}
