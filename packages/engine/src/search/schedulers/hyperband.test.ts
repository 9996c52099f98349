import { describe, expect, it } from "vitest";
import type { StoredTrial } from "../types.ts";
import { HyperbandScheduler } from "./hyperband.ts";

describe("Hyperband", () => {
  const hb = new HyperbandScheduler({ minResource: 1, maxResource: 27, eta: 3, seed: 0 });

  it("has brackets from aggressive to no stopping", () => {
    expect(hb.brackets.map((b) => b.rungs)).toEqual([[1, 3, 9], [3, 9], [9], []]);
  });

  it("assigns trials to brackets deterministically, more to the aggressive ones", () => {
    const counts = [0, 0, 0, 0];
    for (let n = 0; n < 4000; n++) counts[hb.bracketOf({ number: n, params: {}, state: "RUNNING" })]! += 1;
    expect(hb.bracketOf({ number: 17, params: {}, state: "RUNNING" })).toBe(
      hb.bracketOf({ number: 17, params: {}, state: "WAITING" }),
    );
    expect(counts[0]!).toBeGreaterThan(counts[1]!);
    expect(counts[1]!).toBeGreaterThan(counts[3]!);
    expect(counts.every((c) => c > 0)).toBe(true);
  });

  it("compares a trial only with trials of its own bracket", () => {
    const mk = (n: number, v: number): StoredTrial => ({
      number: n,
      params: {},
      state: "COMPLETE",
      intermediate: [[1, v]],
    });
    // Find two trials in bracket 0 and one elsewhere.
    const inZero: number[] = [];
    let other = -1;
    for (let n = 0; inZero.length < 2 || other < 0; n++) {
      const b = hb.bracketOf({ number: n, params: {}, state: "RUNNING" });
      if (b === 0 && inZero.length < 2) inZero.push(n);
      else if (b !== 0 && other < 0) other = n;
    }
    const history = [mk(other, 0)]; // a much better trial, but in another bracket
    const me: StoredTrial = { number: inZero[0]!, params: {}, state: "RUNNING", intermediate: [] };
    expect(hb.shouldPrune(me, 1, 5, [...history, me])).toBe(false);
    history.push(mk(inZero[1]!, 1));
    expect(hb.shouldPrune(me, 1, 5, [...history, me])).toBe(true);
  });
});
