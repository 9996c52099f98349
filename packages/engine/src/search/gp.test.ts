import { describe, expect, it } from "vitest";
import { GaussianProcess, type GpHyper, logPosteriorAndGrad, matern52 } from "./gp.ts";
import { cholesky, choleskyInverse, choleskySolve, symmetricEigen } from "./linalg.ts";

const x = [
  [0.1, 0.2],
  [0.4, 0.9],
  [0.8, 0.3],
];
const y = [1.0, -0.5, 0.3];
// Noise variance 1e-4 on top of the model's fixed 1e-6 floor and 1e-8 jitter.
const hyper: GpHyper = {
  logLengthscales: [Math.log(0.3), Math.log(0.5)],
  logSignalVar: Math.log(1.5),
  logNoiseVar: Math.log(1e-4),
};

describe("Matérn 5/2 GP", () => {
  it("matches a float64 solve of the posterior done by hand (numpy)", () => {
    const gp = new GaussianProcess(x, y, hyper);
    const [mean, variance] = gp.predict([0.5, 0.5]);
    expect(mean).toBeCloseTo(0.02562262481562985, 12);
    expect(variance).toBeCloseTo(0.7062572203399057, 12);
  });

  it("has the Matérn 5/2 shape: k(0) = 1, k(1) = (1 + sqrt5 + 5/3) e^-sqrt5", () => {
    expect(matern52(0)).toBe(1);
    expect(matern52(1)).toBeCloseTo((1 + Math.sqrt(5) + 5 / 3) * Math.exp(-Math.sqrt(5)), 15);
  });

  it("log marginal likelihood equals numpy's and the gradient matches finite differences", () => {
    const [value, grad] = logPosteriorAndGrad(x, y, hyper);
    const prior =
      -0.5 * ((Math.log(0.3) - Math.log(0.5)) / 1) ** 2 -
      0.5 * 0 -
      0.5 * ((Math.log(1.5) - 0) / 1) ** 2 -
      0.5 * ((Math.log(1e-4) - Math.log(1e-3)) / 2) ** 2;
    expect(value - prior).toBeCloseTo(-3.873402295569452, 9);
    const theta = [...hyper.logLengthscales, hyper.logSignalVar, hyper.logNoiseVar];
    const unpack = (t: number[]): GpHyper => ({
      logLengthscales: t.slice(0, 2),
      logSignalVar: t[2]!,
      logNoiseVar: t[3]!,
    });
    theta.forEach((_, i) => {
      const h = 1e-6;
      const up = theta.slice();
      const down = theta.slice();
      up[i]! += h;
      down[i]! -= h;
      const numeric =
        (logPosteriorAndGrad(x, y, unpack(up))[0] - logPosteriorAndGrad(x, y, unpack(down))[0]) / (2 * h);
      expect(grad[i]).toBeCloseTo(numeric, 5);
    });
  });
});

describe("linear algebra", () => {
  const a = Float64Array.from([4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]);
  it("Cholesky solve and inverse agree with A", () => {
    const l = cholesky(a, 3);
    const sol = choleskySolve(l, 3, [1, 2, 3]);
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += a[i * 3 + j]! * sol[j]!;
      expect(s).toBeCloseTo(i + 1, 12);
    }
    const inv = choleskyInverse(l, 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * inv[k * 3 + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });

  it("Jacobi eigen-decomposition reconstructs A", () => {
    const { values, vectors } = symmetricEigen(a, 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += vectors[i * 3 + k]! * values[k]! * vectors[j * 3 + k]!;
        expect(s).toBeCloseTo(a[i * 3 + j]!, 10);
      }
    }
  });
});
