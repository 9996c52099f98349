/**
 * The default sampler: picks a concrete sampler from the shape of the space (and the number of
 * objectives), so a user who names none gets a sensible one. The rule (docs/search.md):
 *   1. several objectives                              -> nsga2 (a Pareto front)
 *   2. more than AUTO_HUGE_PARAMS parameters           -> sobol (random beyond Sobol's dimensions):
 *      no model learns that many dimensions in a study's budget, even coverage is the honest choice
 *   3. any conditional or categorical parameter        -> tpe (models each branch; GP's encoding cannot)
 *   4. at most AUTO_GP_MAX_PARAMS numeric parameters   -> gp (most sample-efficient there, bench:search)
 *   5. otherwise                                       -> tpe
 * The choice depends on the space only, so it is recorded once at creation and every worker agrees.
 */
import { z } from "zod";
import { defineSampler } from "../define.ts";
import type { SearchSpace } from "../space.ts";
import type { AskOptions, Sampler, StoredTrial } from "../types.ts";
import { GpSampler } from "./gp.ts";
import { Nsga2Sampler } from "./nsga2.ts";
import { RandomSampler } from "./random.ts";
import { SOBOL_MAX_DIMS, SobolSampler } from "./sobol.ts";
import { TpeSampler } from "./tpe.ts";

export const AUTO_GP_MAX_PARAMS = 8;
export const AUTO_HUGE_PARAMS = 32;

export type AutoChoiceName = "gp" | "tpe" | "sobol" | "random" | "nsga2";

export interface AutoChoice {
  name: AutoChoiceName;
  reason: string;
}

/** The sampler `auto` uses for this space, and why. */
export function chooseSampler(space: SearchSpace, objectives = 1): AutoChoice {
  const specs = Object.values(space);
  const n = specs.length;
  if (objectives > 1) return { name: "nsga2", reason: `${objectives} objectives: a Pareto front` };
  if (n > AUTO_HUGE_PARAMS) {
    return n <= SOBOL_MAX_DIMS
      ? { name: "sobol", reason: `${n} parameters (> ${AUTO_HUGE_PARAMS}): even coverage` }
      : { name: "random", reason: `${n} parameters (> ${AUTO_HUGE_PARAMS} and Sobol's ${SOBOL_MAX_DIMS})` };
  }
  if (specs.some((s) => s.when !== undefined)) return { name: "tpe", reason: "conditional parameters" };
  if (specs.some((s) => s.type === "categorical")) return { name: "tpe", reason: "categorical parameters" };
  if (n <= AUTO_GP_MAX_PARAMS) {
    return { name: "gp", reason: `${n} numeric parameters (<= ${AUTO_GP_MAX_PARAMS})` };
  }
  return { name: "tpe", reason: `${n} numeric parameters (> ${AUTO_GP_MAX_PARAMS})` };
}

function concrete(name: AutoChoiceName, seed: number): Sampler {
  switch (name) {
    case "gp":
      return new GpSampler(seed);
    case "tpe":
      return new TpeSampler(seed);
    case "sobol":
      return new SobolSampler(seed);
    case "random":
      return new RandomSampler(seed);
    case "nsga2":
      return new Nsga2Sampler(seed);
  }
}

export class AutoSampler implements Sampler {
  readonly name = "auto";
  private readonly cache = new Map<AutoChoiceName, Sampler>();
  constructor(private readonly seed: number) {}

  ask(space: SearchSpace, trials: readonly StoredTrial[], opts: AskOptions = {}) {
    const { name } = chooseSampler(space, opts.directions?.length ?? 1);
    let inner = this.cache.get(name);
    if (!inner) {
      inner = concrete(name, this.seed);
      this.cache.set(name, inner);
    }
    return inner.ask(space, trials, opts);
  }
}

export const autoEntry = defineSampler({
  name: "auto",
  description:
    "Picks per space: GP for small numeric spaces, TPE for conditional or categorical ones, Sobol for huge ones.",
  options: z.object({}).strict(),
  create: (seed) => new AutoSampler(seed),
});
