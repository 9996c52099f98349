import { describe, expect, it } from "vitest";
import { buildClosureTask, closureFlavours, closureGrid, truthPdf } from "./closure.ts";
import { buildTabularTask } from "./tabular.ts";

describe("closure task", () => {
  const t0 = buildClosureTask(0, 1);
  const t1 = buildClosureTask(1, 1);

  it("has 6–10 sub-datasets of 20–60 points, two always fitted, and a ~50-point grid", () => {
    const ds = t0.dataset;
    expect(ds.subsets.length).toBeGreaterThanOrEqual(6);
    expect(ds.subsets.length).toBeLessThanOrEqual(10);
    for (const s of ds.subsets) {
      expect(s.indices.length).toBeGreaterThanOrEqual(20);
      expect(s.indices.length).toBeLessThanOrEqual(60);
    }
    expect(ds.subsets.filter((s) => s.alwaysFitted)).toHaveLength(2);
    const grid = closureGrid();
    expect(grid.length).toBe(50);
    expect(grid.filter((x) => x < 0.1).length).toBeGreaterThan(20);
  });

  it("observables are the FK map of the truth, with normalised kernels", () => {
    const fk = t0.head.kind === "fk" ? t0.head.fk : new Float64Array();
    const n = t0.dataset.nPoints;
    const grid = closureGrid();
    const F = closureFlavours.length;
    for (let i = 0; i < n; i += 17) {
      let sum = 0;
      let t = 0;
      for (let g = 0; g < grid.length; g++)
        for (let f = 0; f < F; f++) {
          sum += fk[i * grid.length * F + g * F + f]!;
          t += fk[i * grid.length * F + g * F + f]! * truthPdf(f, grid[g]!);
        }
      expect(sum).toBeCloseTo(1, 12);
      expect(t0.dataset.truth![i]).toBeCloseTo(t, 12);
    }
  });

  it("level 0 is the truth, level 1 one seeded noise shift, level 2 adds pseudo-data", () => {
    expect(Array.from(t0.dataset.central)).toEqual(Array.from(t0.dataset.truth!));
    expect(Array.from(t1.dataset.central)).not.toEqual(Array.from(t1.dataset.truth!));
    expect(Array.from(buildClosureTask(1, 1).dataset.central)).toEqual(Array.from(t1.dataset.central));
    expect(Array.from(buildClosureTask(1, 2).dataset.central)).not.toEqual(Array.from(t1.dataset.central));
    expect(t1.pseudoData).toBe(false);
    expect(buildClosureTask(2, 1).pseudoData).toBe(true);
    // covariance: correlated within a sub-dataset (normalisation), independent across
    const ds = t1.dataset;
    const [a, b] = [ds.subsets[0]!.indices, ds.subsets[1]!.indices];
    expect(ds.cov.entry(a[0]!, a[1]!)).toBeGreaterThan(0);
    expect(ds.cov.entry(a[0]!, b[0]!)).toBe(0);
    expect(ds.cov.nBlocks).toBe(ds.subsets.length);
  });

  it("a tabular task maps each point to its own model output", () => {
    const t = buildTabularTask({
      nOutputs: 2,
      subsets: [{ name: "a", inputs: [[1], [2]], values: [1, 2], outputs: [0, 1], stat: [1, 1] }],
    });
    expect(t.head.kind === "select" && Array.from(t.head.index)).toEqual([0, 3]);
  });
});
