import { describe, expect, it } from "vitest";
import { parseSearchSpace } from "../space.ts";
import type { StoredTrial } from "../types.ts";
import { paramsKey } from "./common.ts";
import { enumerateGrid, GridSampler, gridValues } from "./grid.ts";
import { conditionalObjective, conditionalSpace, runSequential } from "./testing.ts";

describe("grid sampler", () => {
  const space = parseSearchSpace({
    lr: { type: "float", low: 1e-4, high: 1e-1, log: true },
    opt: { type: "categorical", choices: ["adam", "sgd"] },
    momentum: { type: "float", low: 0, high: 0.9, step: 0.3, when: { param: "opt", in: ["sgd"] } },
  });

  it("puts log axes on a geometric grid and stepped axes on their steps", () => {
    expect(gridValues(space["lr"]!, 4).map((v) => Number((v as number).toPrecision(6)))).toEqual([
      1e-4, 1e-3, 1e-2, 1e-1,
    ]);
    expect(gridValues(space["momentum"]!, 5)).toEqual([0, 0.3, 0.6, 0.9]);
  });

  it("enumerates the conditional grid: inactive parameters do not multiply it", () => {
    // lr (4) x [adam (1) + sgd x momentum (4)] = 20
    expect(enumerateGrid(space, 4)).toHaveLength(20);
  });

  it("visits every point exactly once before repeating", () => {
    const sampler = new GridSampler(5, { pointsPerAxis: 4 });
    const trials = runSequential(sampler, space, () => 0, 20);
    expect(new Set(trials.map((t) => paramsKey(t.params))).size).toBe(20);
    const again = runSequential(new GridSampler(5, { pointsPerAxis: 4 }), space, () => 0, 21);
    expect(again.slice(0, 20)).toEqual(trials);
  });

  it("still visits every point once when storage rounds the history's floats", () => {
    const sampler = new GridSampler(3);
    const n = enumerateGrid(space, 5).length;
    const trials: StoredTrial[] = [];
    for (let i = 0; i < n; i++) {
      const params = sampler.ask(space, trials);
      // Postgres hands 0.0010000000000000002 back as 0.001.
      const stored = Object.fromEntries(
        Object.entries(params).map(([k, v]) => [k, typeof v === "number" ? Number(v.toPrecision(15)) : v]),
      );
      trials.push({ number: i, params: stored, state: "COMPLETE", value: 1 });
    }
    expect(new Set(trials.map((t) => paramsKey(t.params))).size).toBe(n);
  });

  it("refuses grids beyond the cap", () => {
    expect(() =>
      runSequential(new GridSampler(1, { pointsPerAxis: 1000 }), conditionalSpace, conditionalObjective, 1),
    ).toThrow(/more than/);
  });
});
