import { describe, expect, it } from "vitest";
import { BlockMatrix, PointSet } from "./data/covariance.ts";
import { cholesky, invertLower, mahalanobis, NotPositiveDefiniteError } from "./linalg.ts";
import { randomSpd, referenceChi2, testRandom } from "./testing/reference.ts";

describe("float64 linear algebra", () => {
  for (const cond of [1, 1e2, 1e4, 1e6]) {
    it(`chi2 through Cholesky matches Gaussian elimination to 1e-10 (cond ${cond})`, () => {
      const n = 40;
      const cov = randomSpd(n, cond, 7 + cond);
      const rnd = testRandom(3);
      const t = Array.from({ length: n }, () => rnd.normal());
      const d = Array.from({ length: n }, () => rnd.normal());
      const idx = Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 1);
      const got = new PointSet(idx, BlockMatrix.fromSquare({ n, data: cov })).chi2(t, d);
      const want = referenceChi2(cov, n, idx, t, d);
      expect(Math.abs(got - want) / want).toBeLessThan(1e-10);
    });
  }

  it("L Lᵀ reproduces C and L⁻¹ L = I", () => {
    const n = 12;
    const c = randomSpd(n, 100, 5);
    const l = cholesky({ n, data: c });
    const inv = invertLower(l);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        let e = 0;
        for (let k = 0; k < n; k++) {
          s += l.data[i * n + k]! * l.data[j * n + k]!;
          e += inv.data[i * n + k]! * l.data[k * n + j]!;
        }
        expect(s).toBeCloseTo(c[i * n + j]!, 10);
        expect(e).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    expect(mahalanobis(l, new Array(n).fill(0))).toBe(0);
  });

  it("rejects a matrix that is not positive definite, naming the pivot", () => {
    const bad = { n: 2, data: Float64Array.from([1, 2, 2, 1]) };
    expect(() => cholesky(bad)).toThrow(NotPositiveDefiniteError);
    expect(() => cholesky(bad)).toThrow(/pivot 1/);
  });
});
