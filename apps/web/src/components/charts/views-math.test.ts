import { describe, expect, it } from "vitest";
import { brushFilter, filterSpan, invertPixel } from "./brush";
import { binOf, binsFor, contourGrid, heatColour } from "./contour";
import { edfPath, edfSteps } from "./edf";
import { NO_RUNNER, timelineLanes } from "./timeline";

describe("edfSteps", () => {
  it("steps by 1/n at each sorted value, ties in one step, non-finite left out", () => {
    expect(edfSteps([3, 1, 2])).toEqual([
      { x: 1, p: 1 / 3 },
      { x: 2, p: 2 / 3 },
      { x: 3, p: 1 },
    ]);
    expect(edfSteps([2, 1, 1, Number.NaN, Number.POSITIVE_INFINITY])).toEqual([
      { x: 1, p: 2 / 3 },
      { x: 2, p: 1 },
    ]);
    expect(edfSteps([])).toEqual([]);
  });

  it("matches F(x) = #{v ≤ x}/n at every step for a larger sample", () => {
    const values = Array.from({ length: 200 }, (_, i) => Math.round(Math.sin(i) * 50) / 10);
    for (const s of edfSteps(values))
      expect(s.p).toBeCloseTo(values.filter((v) => v <= s.x).length / values.length, 12);
  });

  it("draws flat from the start, risers at each value, flat to the end", () => {
    const id = (v: number) => v;
    expect(edfPath(edfSteps([1, 2]), id, (p) => p * 10, 0, 3)).toBe("M0,0 L1,0 L1,5 L2,5 L2,10 L3,10");
  });
});

describe("contourGrid", () => {
  const lin = (bins: number): { domain: [number, number]; log: boolean; bins: number } => ({
    domain: [0, 4],
    log: false,
    bins,
  });

  it("puts each point in its cell and averages z there (closed form z = x + y at cell centres)", () => {
    const points = [];
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) points.push({ x: i + 0.5, y: j + 0.5, z: i + j + 1 });
    const cells = contourGrid(points, lin(4), lin(4));
    expect(cells).toHaveLength(16);
    for (const c of cells) {
      expect(c.count).toBe(1);
      expect(c.mean).toBeCloseTo((c.x0 + c.x1) / 2 + (c.y0 + c.y1) / 2, 12);
    }
  });

  it("means two points in one cell, leaves empty cells null, drops points outside", () => {
    const cells = contourGrid(
      [
        { x: 0.1, y: 0.1, z: 2 },
        { x: 0.9, y: 0.9, z: 4 },
        { x: 5, y: 1, z: 100 },
        { x: 4, y: 4, z: 7 },
      ],
      lin(2),
      lin(2),
    );
    expect(cells.find((c) => c.i === 0 && c.j === 0)).toMatchObject({ mean: 3, count: 2, x0: 0, x1: 2 });
    expect(cells.find((c) => c.i === 1 && c.j === 1)).toMatchObject({ mean: 7, count: 1 });
    expect(cells.find((c) => c.i === 1 && c.j === 0)).toMatchObject({ mean: null, count: 0 });
  });

  it("bins a log axis in equal decades", () => {
    const axis = { domain: [1e-4, 1] as [number, number], log: true, bins: 4 };
    expect([1e-4, 5e-4, 1e-3, 0.05, 0.5, 1].map((v) => binOf(axis, v))).toEqual([0, 0, 1, 2, 3, 3]);
    expect(binOf(axis, 0)).toBeNull();
    const cells = contourGrid([{ x: 2e-3, y: 1, z: 1 }], axis, { domain: [0, 2], log: false, bins: 1 });
    expect(cells[1]!.x0).toBeCloseTo(1e-3, 15);
    expect(cells[1]!.x1).toBeCloseTo(1e-2, 15);
    expect(cells[1]!.count).toBe(1);
  });

  it("gives an int axis one bin per value when small", () => {
    expect(binsFor("int", [1, 3])).toBe(3);
    expect(binsFor("int", [0, 1000])).toBe(12);
    expect(binsFor("float", [0, 1])).toBe(12);
    const axis = { domain: [0.5, 3.5] as [number, number], log: false, bins: 3 };
    expect([1, 2, 3].map((v) => binOf(axis, v))).toEqual([0, 1, 2]);
  });

  it("colours from dark to pale, clamped", () => {
    expect(heatColour(0)).toBe("rgb(68,1,84)");
    expect(heatColour(1)).toBe("rgb(253,231,37)");
    expect(heatColour(-3)).toBe(heatColour(0));
    expect(heatColour(Number.NaN)).toBe(heatColour(0));
  });
});

describe("brush", () => {
  const linear = {
    name: "units",
    domain: [0, 100] as [number, number],
    range: [200, 0] as [number, number],
    log: false,
  };
  it("inverts a linear and a log axis exactly", () => {
    expect(invertPixel(linear, 200)).toBe(0);
    expect(invertPixel(linear, 50)).toBe(75);
    const log = { ...linear, domain: [1e-3, 10] as [number, number], log: true };
    expect(invertPixel(log, 200)).toBeCloseTo(1e-3, 15);
    expect(invertPixel(log, 100)).toBeCloseTo(10 ** -1, 12);
    expect(invertPixel(log, 0)).toBeCloseTo(10, 12);
  });

  it("turns a drag into a range either way round, and a click into nothing", () => {
    expect(brushFilter(linear, 150, 50)).toEqual({ name: "units", min: 25, max: 75 });
    expect(brushFilter(linear, 50, 150)).toEqual({ name: "units", min: 25, max: 75 });
    expect(brushFilter(linear, 100, 101)).toBeNull();
  });

  it("selects the categories whose slots the drag covers", () => {
    const cat = {
      name: "act",
      domain: [-0.5, 2.5] as [number, number],
      range: [300, 0] as [number, number],
      log: false,
      categories: ["relu", "sigmoid", "tanh"],
    };
    // Slot k sits at pixel 300 - (k + 0.5) * 100.
    expect(brushFilter(cat, 260, 140)).toEqual({ name: "act", values: ["relu", "sigmoid"] });
    expect(brushFilter(cat, 290, 260)).toBeNull();
    expect(filterSpan(cat, { name: "act", values: ["sigmoid"] })).toEqual(
      [300 - 1.1 * 100, 300 - 1.9 * 100].map((v) => expect.closeTo(v, 9)),
    );
  });

  it("draws a filter back where it was brushed, clamped to the axis", () => {
    expect(filterSpan(linear, { name: "units", min: 25, max: 75 })).toEqual([150, 50]);
    expect(filterSpan(linear, { name: "units", min: -10 })).toEqual([200, 0]);
  });
});

describe("timelineLanes", () => {
  it("lays trials out per runner in seconds since the first start, running ones to now", () => {
    const t0 = Date.UTC(2026, 0, 1);
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const { lanes, span } = timelineLanes(
      [
        { number: 2, state: "COMPLETE", runner: "gpu-b", startedAt: at(5), finishedAt: at(9) },
        { number: 0, state: "COMPLETE", runner: "gpu-a", startedAt: at(0), finishedAt: at(4) },
        { number: 1, state: "RUNNING", runner: "gpu-a", startedAt: at(4), finishedAt: null },
        { number: 3, state: "FAIL", runner: null, startedAt: at(1), finishedAt: at(2) },
        { number: 4, state: "WAITING", runner: null, startedAt: null, finishedAt: null },
      ],
      t0 + 12_000,
    );
    expect(span).toBe(12);
    expect(lanes.map((l) => l.runner)).toEqual(["gpu-a", "gpu-b", NO_RUNNER]);
    expect(lanes[0]!.bars).toEqual([
      { number: 0, state: "COMPLETE", start: 0, end: 4, open: false },
      { number: 1, state: "RUNNING", start: 4, end: 12, open: true },
    ]);
    expect(lanes[1]!.bars).toEqual([{ number: 2, state: "COMPLETE", start: 5, end: 9, open: false }]);
    expect(lanes[2]!.bars).toEqual([{ number: 3, state: "FAIL", start: 1, end: 2, open: false }]);
  });

  it("is empty when nothing started", () => {
    expect(timelineLanes([], 0)).toEqual({ lanes: [], span: 0 });
  });
});
