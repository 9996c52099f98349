/**
 * ASHA + BO (BOHB-style): the inner sampler models only the highest rung that holds enough results,
 * treating each trial's value at that rung as its objective. Trials that never reached it are left
 * out; pending trials stay pending so constant liar / kriging believer still see them.
 */
import { valueAtMilestone } from "../schedulers/common.ts";
import type { SearchSpace } from "../space.ts";
import { type AskOptions, isPending, type Sampler, type StoredTrial } from "../types.ts";

export interface MultiFidelityOptions {
  /** Rung milestones (epochs), e.g. the scheduler's rungs plus maxT. */
  rungs: number[];
  /** Results a rung needs before the model uses it. */
  minPoints?: number;
}

/** The history as the inner sampler should see it: values at the chosen rung. */
export function rungView(
  trials: readonly StoredTrial[],
  rungs: readonly number[],
  minPoints: number,
): StoredTrial[] {
  const sorted = [...rungs].sort((a, b) => b - a);
  for (const rung of sorted) {
    const view: StoredTrial[] = [];
    let count = 0;
    for (const t of trials) {
      const v = valueAtMilestone(t, rung);
      if (v !== undefined && Number.isFinite(v)) {
        view.push({ number: t.number, params: t.params, state: "COMPLETE", value: v });
        count++;
      } else if (isPending(t)) {
        view.push({ number: t.number, params: t.params, state: t.state });
      }
    }
    if (count >= minPoints) return view;
  }
  return [...trials];
}

export class MultiFidelitySampler implements Sampler {
  readonly name: string;
  constructor(
    private readonly inner: Sampler,
    private readonly options: MultiFidelityOptions,
  ) {
    this.name = `${inner.name}+mf`;
  }

  ask(space: SearchSpace, trials: readonly StoredTrial[], opts?: AskOptions) {
    return this.inner.ask(space, rungView(trials, this.options.rungs, this.options.minPoints ?? 10), opts);
  }
}
