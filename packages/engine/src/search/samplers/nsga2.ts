/**
 * NSGA-II (Deb et al. 2002) for multi-objective studies: parents are the best `populationSize`
 * completed trials of the whole history by (non-domination rank, crowding distance), chosen by
 * binary tournament; children take each parameter from either parent (uniform crossover) and are
 * resampled from the prior with probability 1/d (mutation). Single-objective studies work too.
 */

import { z } from "zod";
import type { SearchRng } from "../../rng.ts";
import { defineSampler, option } from "../define.ts";
import { crowdingDistance, lossVector, nonDominatedSort } from "../pareto.ts";
import { assignActive, ownValue, type ParamValue, type SearchSpace } from "../space.ts";
import type { AskOptions, Sampler, StoredTrial } from "../types.ts";
import { askRng, sampleFromPrior, sampleParam } from "./common.ts";

export interface Nsga2Options {
  populationSize?: number;
  crossoverProb?: number;
  mutationProb?: number;
}

interface Ranked {
  trial: StoredTrial;
  rank: number;
  crowding: number;
}

export class Nsga2Sampler implements Sampler {
  readonly name = "nsga2";
  constructor(
    private readonly seed: number,
    private readonly options: Nsga2Options = {},
  ) {}

  ask(space: SearchSpace, trials: readonly StoredTrial[], opts: AskOptions = {}): Record<string, ParamValue> {
    const rng = askRng(this.seed, trials);
    const directions = opts.directions ?? [opts.direction ?? "minimize"];
    const size = this.options.populationSize ?? 50;
    const done = trials.flatMap((t) => {
      const loss = lossVector(t, directions);
      return loss ? [{ t, loss }] : [];
    });
    if (done.length < size) return sampleFromPrior(space, rng);
    const population = survivors(done, size);
    const a = tournament(population, rng);
    const b = tournament(population, rng);
    const crossover = rng.uniform() < (this.options.crossoverProb ?? 0.9);
    const mutation = this.options.mutationProb ?? 1 / Math.max(1, Object.keys(space).length);
    return assignActive(space, (name, spec) => {
      if (rng.uniform() < mutation) return sampleParam(spec, rng);
      const fromA = ownValue(a.trial.params, name);
      const fromB = ownValue(b.trial.params, name);
      const pick = crossover && rng.uniform() < 0.5 ? (fromB ?? fromA) : (fromA ?? fromB);
      if (pick === undefined) return sampleParam(spec, rng);
      return pick;
    });
  }
}

/** Elitist survival: fill by fronts, the last front by descending crowding distance. */
function survivors(done: Array<{ t: StoredTrial; loss: number[] }>, size: number): Ranked[] {
  const points = done.map((d) => d.loss);
  const fronts = nonDominatedSort(points);
  const out: Ranked[] = [];
  fronts.forEach((front, rank) => {
    if (out.length >= size) return;
    const crowd = crowdingDistance(points, front);
    const ordered = [...front].sort(
      (x, y) => crowd.get(y)! - crowd.get(x)! || done[x]!.t.number - done[y]!.t.number,
    );
    for (const i of ordered)
      if (out.length < size) out.push({ trial: done[i]!.t, rank, crowding: crowd.get(i)! });
  });
  return out;
}

function tournament(population: Ranked[], rng: SearchRng): Ranked {
  const a = population[rng.int(population.length)]!;
  const b = population[rng.int(population.length)]!;
  if (a.rank !== b.rank) return a.rank < b.rank ? a : b;
  return a.crowding >= b.crowding ? a : b;
}

export const nsga2Entry = defineSampler({
  name: "nsga2",
  description: "NSGA-II genetic algorithm for several objectives (L1 against phi2): a Pareto front.",
  multiObjective: true,
  options: z
    .object({
      populationSize: option(z.number().int().min(2), {
        description: "Population per generation",
        default: 50,
      }),
      crossoverProb: option(z.number().min(0).max(1), {
        description: "Probability of crossover",
        default: 0.9,
      }),
      mutationProb: option(z.number().min(0).max(1), {
        description: "Probability that a parameter is redrawn",
        default: "1 / parameters",
      }),
    })
    .strict(),
  create: (seed, options) => new Nsga2Sampler(seed, options),
});
