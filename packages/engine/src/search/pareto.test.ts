import { describe, expect, it } from "vitest";
import { crowdingDistance, dominates, nonDominatedSort, paretoFront, scalarize } from "./pareto.ts";
import type { StoredTrial } from "./types.ts";

describe("Pareto helpers", () => {
  // Hand example (both minimised): A(1,5) B(2,3) C(3,4) D(4,1) E(5,5) F(2,2)
  const points = [
    [1, 5],
    [2, 3],
    [3, 4],
    [4, 1],
    [5, 5],
    [2, 2],
  ];

  it("dominance and non-dominated fronts", () => {
    expect(dominates([2, 2], [2, 3])).toBe(true);
    expect(dominates([2, 2], [2, 2])).toBe(false);
    expect(nonDominatedSort(points)).toEqual([[0, 3, 5], [1], [2], [4]]);
  });

  it("crowding distance: extremes infinite, interior by normalised neighbour gaps", () => {
    const d = crowdingDistance(points, [0, 3, 5]);
    expect(d.get(0)).toBe(Number.POSITIVE_INFINITY);
    expect(d.get(3)).toBe(Number.POSITIVE_INFINITY);
    // F between A and D: (4-1)/(4-1) + (5-1)/(5-1) = 2
    expect(d.get(5)).toBeCloseTo(2, 12);
  });

  it("paretoFront respects directions", () => {
    const trials: StoredTrial[] = points.map((v, i) => ({
      number: i,
      params: {},
      state: "COMPLETE",
      values: v,
    }));
    expect(paretoFront(trials, ["minimize", "minimize"]).map((t) => t.number)).toEqual([0, 3, 5]);
    // Maximising the second objective: A(1,5) dominates everything with x >= 1 and y <= 5 ... E(5,5) ties y.
    expect(paretoFront(trials, ["minimize", "maximize"]).map((t) => t.number)).toEqual([0]);
  });

  it("scalarisation: weighted sum and augmented Chebyshev", () => {
    expect(scalarize([1, 2], [0.5, 0.5], "weighted-sum")).toBe(1.5);
    expect(scalarize([1, 2], [0.5, 0.5], "chebyshev")).toBeCloseTo(1 + 0.05 * 1.5, 12);
  });
});
