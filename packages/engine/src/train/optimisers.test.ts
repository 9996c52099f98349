import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../backend.ts";
import { testRandom } from "../testing/reference.ts";
import { type OptimiserConfig, type OptimiserName, StackedOptimiser } from "./optimisers.ts";

/** Float64 references of the Keras update rules, one parameter vector at a time. */
function referenceSteps(
  name: OptimiserName,
  lr: number,
  grads: number[][],
  p0: number[],
  momentum = 0,
  clip?: number,
) {
  const P = p0.length;
  const p = p0.slice();
  const s0 = new Array(P).fill(0);
  const s1 = new Array(P).fill(0);
  const s2 = new Array(P).fill(0);
  grads.forEach((graw, k) => {
    const t = k + 1;
    const norm = Math.sqrt(graw.reduce((a, v) => a + v * v, 0));
    const g = clip !== undefined && norm > clip ? graw.map((v) => (v * clip) / norm) : graw;
    for (let i = 0; i < P; i++) {
      const gi = g[i]!;
      let u = 0;
      if (name === "adam" || name === "amsgrad" || name === "nadam") {
        s0[i] = 0.9 * s0[i] + 0.1 * gi;
        s1[i] = 0.999 * s1[i] + 0.001 * gi * gi;
        let v = s1[i];
        if (name === "amsgrad") v = s2[i] = Math.max(s2[i], s1[i]);
        const mhat =
          name === "nadam"
            ? (0.9 * s0[i]) / (1 - 0.9 ** (t + 1)) + (0.1 * gi) / (1 - 0.9 ** t)
            : s0[i] / (1 - 0.9 ** t);
        u = (lr * mhat) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-7);
      } else if (name === "rmsprop") {
        s0[i] = 0.9 * s0[i] + 0.1 * gi * gi;
        u = (lr * gi) / (Math.sqrt(s0[i]) + 1e-7);
      } else if (name === "sgd") {
        s0[i] = momentum * s0[i] - lr * gi;
        u = momentum > 0 ? -s0[i] : lr * gi;
      } else {
        s0[i] = 0.95 * s0[i] + 0.05 * gi * gi;
        const d = (Math.sqrt(s1[i] + 1e-7) / Math.sqrt(s0[i] + 1e-7)) * gi;
        s1[i] = 0.95 * s1[i] + 0.05 * d * d;
        u = lr * d;
      }
      p[i] = p[i]! - u;
    }
  });
  return p;
}

describe("stacked optimisers", () => {
  beforeAll(async () => {
    await selectBackend("wasm");
  });

  const cases: [OptimiserName, number, number?][] = [
    ["adam", 1e-2],
    ["nadam", 1e-2],
    ["amsgrad", 1e-2],
    ["rmsprop", 1e-2],
    ["sgd", 1e-1],
    ["sgd", 1e-1, 0.9],
    ["adadelta", 1.0],
  ];
  it.each(cases)(
    "%s (lr %d, momentum %s) follows the float64 reference per replica, with per-replica clipnorm",
    (name, lr, momentum) => {
      const R = 3;
      const P = 5;
      const rnd = testRandom(name.length * 13 + (momentum ?? 0) * 10);
      const p0 = Array.from({ length: R * P }, () => rnd.normal());
      // replica 1's gradients are large, so clipnorm acts on it alone
      const grads = Array.from({ length: 6 }, () =>
        Array.from({ length: R * P }, (_, k) => rnd.normal() * (Math.floor(k / P) === 1 ? 100 : 0.5)),
      );
      const clip = 5;
      const params = tf.variable(tf.tensor2d(p0, [R, P]));
      const opt = new StackedOptimiser(
        { name, learningRate: lr, clipnorm: clip, ...(momentum ? { momentum } : {}) },
        [R, P],
      );
      const active = tf.ones([R, 1]) as tf.Tensor2D;
      for (const g of grads) tf.tidy(() => opt.apply(params, tf.tensor2d(g, [R, P]), active));
      const got = params.dataSync();
      for (let r = 0; r < R; r++) {
        const want = referenceSteps(
          name,
          lr,
          grads.map((g) => g.slice(r * P, (r + 1) * P)),
          p0.slice(r * P, (r + 1) * P),
          momentum ?? 0,
          clip,
        );
        want.forEach((v, i) => {
          expect(Math.abs(got[r * P + i]! - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
        });
      }
      tf.dispose([params, active]);
      opt.dispose();
    },
  );

  // Packed trials: one optimiser with per-row learning rate, clipnorm and momentum must move each
  // row exactly as an optimiser with that row's scalar settings (the same float32 operations).
  it.each(["adam", "nadam", "amsgrad", "rmsprop", "sgd", "adadelta"] as OptimiserName[])(
    "%s with per-row settings moves each row as its own scalar-config optimiser, bit for bit",
    (name) => {
      const P = 4;
      const lr = name === "adadelta" ? 1 : 1e-2;
      const rows: OptimiserConfig[] = [
        { name, learningRate: lr },
        { name, learningRate: 3 * lr, clipnorm: 0.5 },
        { name, learningRate: lr / 2, momentum: 0.9 },
        { name, learningRate: lr, clipnorm: 50, momentum: 0.5 },
      ];
      const R = rows.length;
      const rnd = testRandom(name.length * 7);
      const p0 = Array.from({ length: R * P }, () => rnd.normal());
      const grads = Array.from({ length: 5 }, () => Array.from({ length: R * P }, () => rnd.normal() * 3));
      const packed = tf.variable(tf.tensor2d(p0, [R, P]));
      const opt = new StackedOptimiser(rows[0]!, [R, P], rows);
      const active = tf.ones([R, 1]) as tf.Tensor2D;
      for (const g of grads) tf.tidy(() => opt.apply(packed, tf.tensor2d(g, [R, P]), active));
      const got = packed.dataSync();
      rows.forEach((config, r) => {
        const alone = tf.variable(tf.tensor2d(p0.slice(r * P, (r + 1) * P), [1, P]));
        const single = new StackedOptimiser(config, [1, P]);
        const one = tf.ones([1, 1]) as tf.Tensor2D;
        for (const g of grads)
          tf.tidy(() => single.apply(alone, tf.tensor2d(g.slice(r * P, (r + 1) * P), [1, P]), one));
        expect(Array.from(got.slice(r * P, (r + 1) * P))).toEqual(Array.from(alone.dataSync()));
        expect(Array.from(alone.dataSync())).not.toEqual(p0.slice(r * P, (r + 1) * P));
        tf.dispose([alone, one]);
        single.dispose();
      });
      tf.dispose([packed, active]);
      opt.dispose();
    },
  );

  it("a stopped replica (active = 0) does not move", () => {
    const params = tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]));
    const opt = new StackedOptimiser({ name: "adam", learningRate: 0.1 }, [2, 2]);
    const active = tf.tensor2d([1, 0], [2, 1]);
    tf.tidy(() => opt.apply(params, tf.ones([2, 2]) as tf.Tensor2D, active));
    const got = params.dataSync();
    expect(Array.from(got.slice(2))).toEqual([3, 4]);
    expect(got[0]).toBeLessThan(1);
    tf.dispose([params, active]);
    opt.dispose();
  });
});
