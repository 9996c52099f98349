import { describe, expect, it } from "vitest";
import {
  encodeFilters,
  MAX_FILTERS,
  matchesFilters,
  OBJECTIVE_KEY,
  parseFilters,
  type TrialFilter,
  withFilter,
  ZTrialFilters,
} from "./trial-filters";

const trial = (value: number | null, params: Record<string, string | number | boolean>) => ({
  value,
  params,
});

describe("matchesFilters (brush membership)", () => {
  it("keeps a trial inside every range and set (AND), bounds inclusive", () => {
    const filters: TrialFilter[] = [
      { name: "lr", min: 0.001, max: 0.01 },
      { name: "act", values: ["tanh"] },
      { name: OBJECTIVE_KEY, max: 2 },
    ];
    expect(matchesFilters(trial(1.5, { lr: 0.001, act: "tanh" }), filters)).toBe(true);
    expect(matchesFilters(trial(2, { lr: 0.01, act: "tanh" }), filters)).toBe(true);
    expect(matchesFilters(trial(2.0001, { lr: 0.01, act: "tanh" }), filters)).toBe(false);
    expect(matchesFilters(trial(1, { lr: 0.0101, act: "tanh" }), filters)).toBe(false);
    expect(matchesFilters(trial(1, { lr: 0.005, act: "relu" }), filters)).toBe(false);
  });

  it("drops a trial lacking the parameter or the objective, and typed set values compare by type", () => {
    expect(matchesFilters(trial(1, {}), [{ name: "lr", min: 0 }])).toBe(false);
    expect(matchesFilters(trial(null, { lr: 1 }), [{ name: OBJECTIVE_KEY, min: 0 }])).toBe(false);
    expect(matchesFilters(trial(1, { units: 32 }), [{ name: "units", values: [32] }])).toBe(true);
    expect(matchesFilters(trial(1, { units: 32 }), [{ name: "units", values: ["32"] }])).toBe(false);
    expect(matchesFilters(trial(1, { act: "tanh" }), [{ name: "act", min: 0 }])).toBe(false);
  });

  it("with no filters every trial passes", () => {
    expect(matchesFilters(trial(null, {}), [])).toBe(true);
  });
});

describe("URL form", () => {
  it("round-trips ranges, open bounds, typed sets and separators inside values", () => {
    const filters: TrialFilter[] = [
      { name: "learning_rate", min: 0.001, max: 0.01 },
      { name: "units", min: 16 },
      { name: OBJECTIVE_KEY, max: 1.5 },
      { name: "act", values: ["tanh", "a;b,c=d:e", 3, true] },
    ];
    const raw = encodeFilters(filters);
    expect(raw.startsWith("learning_rate:0.001:0.01;units:16:;@objective::1.5;act=")).toBe(true);
    expect(parseFilters(raw)).toEqual(filters);
  });

  it("yields no filters for junk, impossible ranges and over-limit lists", () => {
    for (const bad of [
      "x",
      "lr:1:2:3",
      "lr:2:1",
      "lr::",
      "1bad:0:1",
      "act=%ZZ",
      "act=notjson",
      "a:1:2;a:1:3",
    ])
      expect(parseFilters(bad)).toEqual([]);
    const many = Array.from({ length: MAX_FILTERS + 1 }, (_, i) => `p${i}:0:1`).join(";");
    expect(parseFilters(many)).toEqual([]);
    expect(parseFilters(null)).toEqual([]);
  });

  it("withFilter replaces one name and removes with null", () => {
    const a: TrialFilter = { name: "a", min: 1 };
    const b: TrialFilter = { name: "b", values: ["x"] };
    expect(withFilter([a, b], "a", { name: "a", max: 3 })).toEqual([b, { name: "a", max: 3 }]);
    expect(withFilter([a, b], "b", null)).toEqual([a]);
  });
});

describe("ZTrialFilters (the API's check)", () => {
  it("names the field in each refusal", () => {
    const message = (input: unknown) => {
      const r = ZTrialFilters.safeParse(input);
      return r.success ? "ok" : r.error.issues.map((i) => i.message).join(" | ");
    };
    expect(message([{ name: "lr", min: 2, max: 1 }])).toMatch(/filters: min must not exceed max/);
    expect(message([{ name: "lr" }])).toMatch(/filters:/);
    expect(message([{ name: "drop table", min: 1 }])).toMatch(/filters: name must be a parameter name/);
    expect(message([{ name: "act", values: ["x".repeat(201)] }])).toMatch(/at most 200 characters/);
    expect(message([{ name: "act", values: Array.from({ length: 51 }, (_, i) => i) }])).toMatch(
      /at most 50 values/,
    );
    expect(message(Array.from({ length: 17 }, (_, i) => ({ name: `p${i}`, min: 0 })))).toMatch(
      /at most 16 filters/,
    );
    expect(
      message([
        { name: "lr", min: 0.1 },
        { name: OBJECTIVE_KEY, max: 3 },
      ]),
    ).toBe("ok");
  });
});
