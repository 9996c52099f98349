import { describe, expect, it } from "vitest";
import { SearchRng } from "../rng.ts";
import { normCdf, normPpf } from "./stats.ts";

describe("normal helpers", () => {
  it("matches known CDF values and inverts", () => {
    expect(normCdf(0)).toBeCloseTo(0.5, 7);
    expect(normCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normCdf(-3)).toBeCloseTo(0.0013498980316301, 8);
    for (const p of [1e-6, 0.01, 0.3, 0.5, 0.9, 0.999]) expect(normCdf(normPpf(p))).toBeCloseTo(p, 7);
  });
});

describe("SearchRng", () => {
  it("is deterministic per seed and roughly uniform / normal / exponential", () => {
    const a = new SearchRng(42);
    const b = new SearchRng(42);
    expect(Array.from({ length: 5 }, () => a.uniform())).toEqual(
      Array.from({ length: 5 }, () => b.uniform()),
    );
    const r = new SearchRng(7);
    let u = 0;
    let n = 0;
    let n2 = 0;
    let e = 0;
    const count = 20000;
    for (let i = 0; i < count; i++) {
      u += r.uniform();
      const z = r.normal();
      n += z;
      n2 += z * z;
      e += r.exponential(1.96);
    }
    expect(u / count).toBeCloseTo(0.5, 1);
    expect(n / count).toBeCloseTo(0, 1);
    expect(n2 / count).toBeCloseTo(1, 1);
    expect(e / count).toBeGreaterThan(1.85);
    expect(e / count).toBeLessThan(2.07);
  });
});
