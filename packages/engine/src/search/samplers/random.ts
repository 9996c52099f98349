import { z } from "zod";
import { defineSampler } from "../define.ts";
import type { SearchSpace } from "../space.ts";
import type { Sampler, StoredTrial } from "../types.ts";
import { askRng, sampleFromPrior } from "./common.ts";

/** Independent uniform draws (log-uniform for log parameters); the baseline every sampler must beat. */
export class RandomSampler implements Sampler {
  readonly name = "random";
  constructor(private readonly seed: number) {}

  ask(space: SearchSpace, trials: readonly StoredTrial[]) {
    return sampleFromPrior(space, askRng(this.seed, trials));
  }
}

export const randomEntry = defineSampler({
  name: "random",
  description: "Independent uniform draws (log-uniform on log parameters); the baseline.",
  options: z.object({}).strict(),
  create: (seed) => new RandomSampler(seed),
});
