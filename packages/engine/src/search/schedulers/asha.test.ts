import { describe, expect, it } from "vitest";
import type { StoredTrial } from "../types.ts";
import { AshaScheduler } from "./asha.ts";

/** Replays reports through the scheduler the way Study.report does: judge, then record. */
function script(
  scheduler: AshaScheduler,
  reports: Array<[trial: number, step: number, value: number]>,
): boolean[] {
  const trials = new Map<number, StoredTrial>();
  return reports.map(([n, step, value]) => {
    const trial = trials.get(n) ?? { number: n, params: {}, state: "RUNNING", intermediate: [] };
    trials.set(n, trial);
    const prune = scheduler.shouldPrune(trial, step, value, [...trials.values()]);
    trial.intermediate!.push([step, value]);
    if (prune) trial.state = "PRUNED";
    return prune;
  });
}

describe("ASHA", () => {
  it("places rungs at grace * eta^k below maxT (MLPF: grace 10, eta 4, maxT 200)", () => {
    expect(new AshaScheduler({ gracePeriod: 10, eta: 4, maxT: 200 }).rungs).toEqual([10, 40, 160]);
    expect(new AshaScheduler({ gracePeriod: 1, eta: 2, maxT: 8 }).rungs).toEqual([1, 2, 4]);
  });

  it("promotes by its rule on a scripted asynchronous sequence", () => {
    const asha = new AshaScheduler({ gracePeriod: 1, eta: 2, maxT: 8 });
    const decisions = script(asha, [
      [0, 1, 5], // rung 1: {5} -> cutoff 5, keeps
      [1, 1, 3], // rung 1: {5,3} -> median 4, keeps
      [2, 1, 6], // rung 1: {5,3,6} -> 5, stops
      [0, 2, 4], // rung 2: {4}, keeps
      [0, 3, 9], // no rung at 3
      [3, 1, 4], // rung 1: {5,3,6,4} -> 4.5, keeps
      [1, 2, 4.5], // rung 2: {4,4.5} -> 4.25, stops
      [0, 4, 2], // rung 4: {2}, keeps
      [0, 8, 100], // maxT reached: never stopped
    ]);
    expect(decisions).toEqual([false, false, true, false, false, false, true, false, false]);
  });

  it("maximises when asked and judges sparse reports at the rung they cross", () => {
    const asha = new AshaScheduler({ gracePeriod: 2, eta: 2, maxT: 100, direction: "maximize" });
    // Trial 1 reports only at step 5: it crosses rungs 2 and 4 at once and is judged on both.
    expect(
      script(asha, [
        [0, 2, 0.9],
        [0, 4, 0.95],
        [1, 5, 0.5],
      ]),
    ).toEqual([false, false, true]);
  });
});
