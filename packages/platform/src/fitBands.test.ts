import { describe, expect, it } from "vitest";
import { type FitArtifactView, fitBands, fitDistance, quantile } from "./fitBands.ts";

/** A fit of F outputs on grid x whose replica r has output f at grid point g equal to value(r, g, f). */
function artifact(
  x: number[],
  names: string[],
  R: number,
  value: (r: number, g: number, f: number) => number,
  kept = Array.from({ length: R }, (_, r) => r),
): FitArtifactView {
  const F = names.length;
  return {
    x,
    outputNames: names,
    replicas: Array.from({ length: R }, (_, r) => ({ replica: r })),
    selection: { kept },
    outputs: Array.from({ length: R }, (_, r) =>
      Array.from({ length: x.length * F }, (_, j) => value(r, Math.floor(j / F), j % F)),
    ),
  };
}

describe("fitBands", () => {
  it("mean, sample σ and the 16–84% interval of the kept replicas, on the grid sorted by x", () => {
    // replicas 0..4 hold c + (r − 2)·s at each point; replica 5 is discarded and far away
    const x = [0.1, 0.001, 0.01];
    const c = (g: number, f: number) => 1 + g + 10 * f;
    const s = (g: number) => 0.5 * (g + 1);
    const a = artifact(
      x,
      ["u", "d"],
      6,
      (r, g, f) => (r === 5 ? 1e6 : c(g, f) + (r - 2) * s(g)),
      [0, 1, 2, 3, 4],
    );
    a.truth = x.map((_, g) => [c(g, 0), c(g, 1)]);
    const bands = fitBands(a);
    expect(bands.x).toEqual([0.001, 0.01, 0.1]);
    expect(bands.replicas).toBe(5);
    const order = [1, 2, 0];
    for (const [f, out] of bands.outputs.entries()) {
      order.forEach((g, i) => {
        expect(out.mean[i]).toBeCloseTo(c(g, f), 12);
        // Σ(r−2)² = 10 over 4 degrees of freedom
        expect(out.sd[i]).toBeCloseTo(s(g) * Math.sqrt(10 / 4), 12);
        // numpy: position 0.16·4 = 0.64 between the 1st and 2nd order statistics (−2s, −s)
        expect(out.lower68[i]).toBeCloseTo(c(g, f) + (-2 + 0.64) * s(g), 12);
        expect(out.upper68[i]).toBeCloseTo(c(g, f) + (1 + 0.36) * s(g), 12);
        expect(out.truth![i]).toBe(c(g, f));
      });
    }
  });

  it("one kept replica: σ 0 and the band collapses on it; no truth when the fit has none", () => {
    const b = fitBands(artifact([0.2, 0.4], ["g"], 3, (r, g) => r + g, [1]));
    expect(b.outputs[0]).toEqual({ name: "g", mean: [1, 2], sd: [0, 0], lower68: [1, 2], upper68: [1, 2] });
  });

  it("quantile interpolates linearly as numpy does", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([5], 0.3)).toBe(5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe("fitDistance", () => {
  it("equals |f̄a − f̄b| / sqrt(σa²/Na + σb²/Nb) computed long-hand in float64", () => {
    const x = [0.001, 0.01, 0.1, 0.5];
    // deterministic, irregular replicas (no randomness to seed): a sine-scrambled spread per point
    const va = (r: number, g: number, f: number) =>
      1 + g * 0.3 + f + 0.2 * Math.sin(r * 12.9898 + g * 78.233 + f);
    const vb = (r: number, g: number, f: number) =>
      1.05 + g * 0.3 + f + 0.35 * Math.sin(r * 4.1414 + g * 3.7 + 2 * f);
    const Ra = 7;
    const Rb = 11;
    const names = ["u", "d", "g"];
    const a = fitBands(artifact(x, names, Ra, va));
    const b = fitBands(artifact(x, names, Rb, vb));
    const d = fitDistance(a, b);
    expect(d.x).toEqual(x);
    expect(d.outputs.map((o) => o.name)).toEqual(names);
    const moments = (v: (r: number, g: number, f: number) => number, R: number, g: number, f: number) => {
      const xs = Array.from({ length: R }, (_, r) => v(r, g, f));
      const mean = xs.reduce((s, t) => s + t, 0) / R;
      const variance = xs.reduce((s, t) => s + (t - mean) * (t - mean), 0) / (R - 1);
      return { mean, variance };
    };
    for (const [f, out] of d.outputs.entries())
      x.forEach((_, g) => {
        const ma = moments(va, Ra, g, f);
        const mb = moments(vb, Rb, g, f);
        const expected = Math.abs(ma.mean - mb.mean) / Math.sqrt(ma.variance / Ra + mb.variance / Rb);
        expect(out.distance[g]).toBeCloseTo(expected, 12);
      });
  });

  it("a fit against itself is 0; two fits of one distribution are about 1; σ 0 on both sides is null", () => {
    const x = [0.01, 0.1];
    const one = fitBands(artifact(x, ["u"], 5, (r, g) => g + r * 0.1));
    expect(fitDistance(one, one).outputs[0]!.distance).toEqual([0, 0]);
    // a: values {0, 2}·σ' (mean 1), b: mean 1 + sqrt(σa²/2 + σb²/2) → d = 1 exactly
    const a = fitBands(artifact([0.5], ["u"], 2, (r) => 2 * r));
    const shift = Math.sqrt(2 / 2 + 2 / 2);
    const b = fitBands(artifact([0.5], ["u"], 2, (r) => 2 * r + shift));
    expect(fitDistance(a, b).outputs[0]!.distance[0]).toBeCloseTo(1, 12);
    const flat = fitBands(artifact([0.5], ["u"], 3, () => 1));
    const flat2 = fitBands(artifact([0.5], ["u"], 3, () => 2));
    expect(fitDistance(flat, flat2).outputs[0]!.distance).toEqual([null]);
  });

  it("matches outputs by name and refuses two grids", () => {
    const a = fitBands(artifact([0.1, 0.2], ["u", "g"], 3, (r) => r));
    const b = fitBands(artifact([0.1, 0.2], ["g", "s"], 3, (r) => r + 1));
    expect(fitDistance(a, b).outputs.map((o) => o.name)).toEqual(["g"]);
    const c = fitBands(artifact([0.1, 0.3], ["u"], 3, (r) => r));
    expect(() => fitDistance(a, c)).toThrow(/different x grids/);
  });
});
