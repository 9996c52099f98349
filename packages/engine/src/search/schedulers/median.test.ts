import { describe, expect, it } from "vitest";
import type { StoredTrial } from "../types.ts";
import { MedianStoppingScheduler } from "./median.ts";
import { NoScheduler } from "./none.ts";

const done = (n: number, v: number): StoredTrial => ({
  number: n,
  params: {},
  state: "COMPLETE",
  value: v,
  intermediate: [
    [1, v],
    [2, v - 0.5],
  ],
});

describe("median stopping", () => {
  const history = [1, 2, 3, 4, 5].map((v, i) => done(i, v));

  it("stops a trial whose best so far is worse than the median at the same step", () => {
    const median = new MedianStoppingScheduler({ nStartupTrials: 5 });
    const me: StoredTrial = { number: 9, params: {}, state: "RUNNING", intermediate: [] };
    expect(median.shouldPrune(me, 1, 3.5, history)).toBe(true);
    expect(median.shouldPrune(me, 1, 2.5, history)).toBe(false);
    // Best so far counts: an earlier 2.0 keeps a bad report alive.
    expect(median.shouldPrune({ ...me, intermediate: [[1, 2.0]] }, 2, 9, history)).toBe(false);
  });

  it("waits for startup trials and warmup steps", () => {
    const me: StoredTrial = { number: 9, params: {}, state: "RUNNING", intermediate: [] };
    expect(new MedianStoppingScheduler({ nStartupTrials: 6 }).shouldPrune(me, 1, 100, history)).toBe(false);
    expect(new MedianStoppingScheduler({ nWarmupSteps: 2 }).shouldPrune(me, 1, 100, history)).toBe(false);
    expect(new MedianStoppingScheduler({ direction: "maximize" }).shouldPrune(me, 1, 0.5, history)).toBe(
      true,
    );
  });

  it("none never stops", () => {
    expect(new NoScheduler().shouldPrune()).toBe(false);
  });
});
