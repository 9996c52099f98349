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
