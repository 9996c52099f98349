import { describe, expect, it } from "vitest";
import type { StoredTrial } from "../types.ts";
import { SuccessiveHalvingScheduler } from "./sha.ts";

describe("successive halving (Optuna's rule)", () => {
  it("keeps only the top floor(n/eta) (at least the best) at each rung", () => {
    const sha = new SuccessiveHalvingScheduler({ minResource: 1, eta: 2 });
    const trials: StoredTrial[] = [];
    const decide = (n: number, step: number, value: number) => {
      const t: StoredTrial = trials.find((x) => x.number === n) ?? {
        number: n,
        params: {},
        state: "RUNNING",
        intermediate: [],
      };
      if (!trials.includes(t)) trials.push(t);
      const prune = sha.shouldPrune(t, step, value, trials);
      t.intermediate!.push([step, value]);
      return prune;
    };
    expect(decide(0, 1, 5)).toBe(false); // alone: best
    expect(decide(1, 1, 6)).toBe(true); // n=2: only the best passes
    expect(decide(2, 1, 4)).toBe(false); // new best
    expect(decide(3, 1, 4.5)).toBe(false); // n=4: top 2 = {4, 4.5}
    expect(decide(4, 1, 5)).toBe(true); // n=5: top 2 = {4, 4.5}
  });

  it("starts later with minEarlyStoppingRate and stops making rungs at maxResource", () => {
    expect(
      new SuccessiveHalvingScheduler({ minResource: 1, eta: 3, minEarlyStoppingRate: 1, maxResource: 81 })
        .rungs,
    ).toEqual([3, 9, 27]);
  });
});
