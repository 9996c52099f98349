/**
 * ASHA + BO (BOHB-style): the inner sampler models only the highest rung that holds enough results,
 * treating each trial's value at that rung as its objective. Trials that never reached it are left
 * out; pending trials stay pending so constant liar / kriging believer still see them. As in BOHB,
 * a fraction of proposals are drawn at random, because low rungs can rank configurations
 * differently from the full budget and a model fitted to them alone can lock onto the wrong region.
 * The inner sampler models a rung as soon as it qualifies (minPoints results), not after its own
 * startup count.
 */
import { valueAtMilestone } from "../schedulers/common.ts";
import type { SearchSpace } from "../space.ts";
import { type AskOptions, isPending, type Sampler, type StoredTrial } from "../types.ts";
import { askRng, sampleFromPrior } from "./common.ts";

export interface MultiFidelityOptions {
  /** Rung milestones (epochs), e.g. the scheduler's rungs plus maxT. */
  rungs: number[];
  /** Results a rung needs before the model uses it (default: number of parameters + 2). */
  minPoints?: number;
  /** Fraction of proposals drawn from the prior (BOHB's rho, default 1/3). */
  randomFraction?: number;
  /** Seed for the random fraction (default 0). */
  seed?: number;
}

/** The history as the inner sampler should see it: values at the chosen rung. */
export function rungView(
  trials: readonly StoredTrial[],
  rungs: readonly number[],
  minPoints: number,
): StoredTrial[] {
  return rungViewWithRung(trials, rungs, minPoints).trials;
}

/** As rungView, also naming the rung modelled (undefined: no rung qualified, the raw history). */
export function rungViewWithRung(
  trials: readonly StoredTrial[],
  rungs: readonly number[],
  minPoints: number,
): { trials: StoredTrial[]; rung: number | undefined } {
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
    if (count >= minPoints) return { trials: view, rung };
  }
  return { trials: [...trials], rung: undefined };
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
    const rng = askRng(this.options.seed ?? 0, trials, 41);
    if (rng.uniform() < (this.options.randomFraction ?? 1 / 3)) return sampleFromPrior(space, rng);
    const minPoints = this.options.minPoints ?? Object.keys(space).length + 2;
    const view = rungViewWithRung(trials, this.options.rungs, minPoints);
    // A qualifying rung is modelled at once: the inner sampler's default startup count (TPE: 10)
    // would otherwise leave most asks random while the top rung holds minPoints..9 results.
    return this.inner.ask(
      space,
      view.trials,
      view.rung === undefined ? opts : { ...opts, nStartupTrials: minPoints },
    );
  }
}
