import { describe, expect, it } from "vitest";
import { paretoFront } from "../pareto.ts";
import { parseSearchSpace } from "../space.ts";
import type { StoredTrial } from "../types.ts";
import { Nsga2Sampler } from "./nsga2.ts";
import { RandomSampler } from "./random.ts";

// ZDT1 with 4 variables: the Pareto front is x1..x3 = 0, f2 = 1 - sqrt(f1).
const space = parseSearchSpace(
  Object.fromEntries([0, 1, 2, 3].map((i) => [`x${i}`, { type: "float", low: 0, high: 1 }])),
);
function zdt1(p: Record<string, unknown>): number[] {
  const x = [0, 1, 2, 3].map((i) => p[`x${i}`] as number);
  const g = 1 + (9 * (x[1]! + x[2]! + x[3]!)) / 3;
  return [x[0]!, g * (1 - Math.sqrt(x[0]! / g))];
}

/** Area dominated by the front inside the reference box [0, 1] x [0, 10] (2-D hypervolume). */
function hypervolume(trials: StoredTrial[]): number {
  const front = paretoFront(trials, ["minimize", "minimize"])
    .map((t) => t.values!)
    .sort((a, b) => a[0]! - b[0]!);
  let area = 0;
  let prevF2 = 10;
  for (const [f1, f2] of front) {
    if (f1! > 1 || f2! > 10) continue;
    area += (1 - f1!) * (prevF2 - f2!);
    prevF2 = f2!;
  }
  return area;
}

function run(sampler: { ask: Nsga2Sampler["ask"] }, n: number): StoredTrial[] {
  const trials: StoredTrial[] = [];
  for (let i = 0; i < n; i++) {
    const params = sampler.ask(space, trials, { directions: ["minimize", "minimize"] });
    trials.push({ number: i, params, state: "COMPLETE", values: zdt1(params) });
  }
  return trials;
}

describe("NSGA-II sampler", () => {
  it("pushes the ZDT1 front beyond random search's", () => {
    const nsga = run(new Nsga2Sampler(0, { populationSize: 20 }), 400);
    const random = run(new RandomSampler(0), 400);
    expect(hypervolume(nsga)).toBeGreaterThan(hypervolume(random));
  });

  it("is deterministic given seed and history", () => {
    const a = run(new Nsga2Sampler(4, { populationSize: 10 }), 30);
    expect(run(new Nsga2Sampler(4, { populationSize: 10 }), 30)).toEqual(a);
  });
});
