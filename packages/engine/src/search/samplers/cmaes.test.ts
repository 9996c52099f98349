import { describe, expect, it } from "vitest";
import { parseSearchSpace } from "../space.ts";
import { CmaEsSampler, initialState, updateState } from "./cmaes.ts";
import { bestValue, conditionalObjective, conditionalSpace, runSequential } from "./testing.ts";

describe("CMA-ES sampler", () => {
  const sphere = parseSearchSpace(
    Object.fromEntries([0, 1, 2, 3].map((i) => [`x${i}`, { type: "float", low: -5, high: 5 }])),
  );
  const f = (p: Record<string, unknown>) =>
    [0, 1, 2, 3].reduce((a, i) => a + ((p[`x${i}`] as number) - 1) ** 2, 0);

  it("converges on a shifted sphere", () => {
    const trials = runSequential(new CmaEsSampler(0), sphere, f, 300);
    expect(bestValue(trials)).toBeLessThan(1e-3);
  });

  it("moves the mean toward the better half and adapts sigma", () => {
    const state = initialState(2, 0.2);
    updateState(state, [
      { x: [0.6, 0.5], loss: 0 },
      { x: [0.55, 0.5], loss: 1 },
      { x: [0.4, 0.5], loss: 2 },
      { x: [0.45, 0.5], loss: 3 },
      { x: [0.5, 0.6], loss: 4 },
      { x: [0.5, 0.4], loss: 5 },
    ]);
    expect(state.mean[0]!).toBeGreaterThan(0.55);
    expect(state.generation).toBe(1);
    expect(state.sigma).toBeGreaterThan(0);
  });

  it("replays its state from history: resumed runs propose the same configurations", () => {
    const a = runSequential(new CmaEsSampler(5), sphere, f, 40);
    const fresh = new CmaEsSampler(5).ask(sphere, a);
    expect(new CmaEsSampler(5).ask(sphere, a)).toEqual(fresh);
  });

  it("samples categorical and conditional parameters from the prior", () => {
    expect(runSequential(new CmaEsSampler(1), conditionalSpace, conditionalObjective, 30)).toHaveLength(30);
  });
});
