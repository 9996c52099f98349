import { describe, expect, it } from "vitest";
import { validateParams } from "../space.ts";
import type { StoredTrial } from "../types.ts";
import { DecentralizedBoSampler, workerKappa } from "./dbo.ts";
import { bestValue, branin, branin2, median } from "./testing.ts";

describe("decentralized BO", () => {
  it("draws each worker's kappa from Exponential(scale 1.96)", () => {
    const kappas = Array.from({ length: 4000 }, (_, i) => workerKappa(7, `worker-${i}`));
    const mean = kappas.reduce((a, b) => a + b, 0) / kappas.length;
    expect(mean).toBeGreaterThan(1.85);
    expect(mean).toBeLessThan(2.07);
    // Median of an exponential is scale * ln 2.
    expect(median(kappas)).toBeCloseTo(1.96 * Math.LN2, 0);
    expect(workerKappa(7, "a")).toBe(workerKappa(7, "a"));
    expect(workerKappa(7, "a")).not.toBe(workerKappa(7, "b"));
  });

  it("workers that share only the storage optimise Branin together", () => {
    for (const surrogate of ["rf", "gp"] as const) {
      const workers = [0, 1, 2, 3].map(
        (w) => new DecentralizedBoSampler(1, { workerId: `w${w}`, surrogate }),
      );
      const storage: StoredTrial[] = [];
      // Asynchronous rounds: each worker asks while the others' trials are still running.
      for (let round = 0; round < 10; round++) {
        const started = workers.map((w) => {
          const params = w.ask(branin2, storage);
          expect(validateParams(branin2, params)).toEqual([]);
          const t: StoredTrial = { number: storage.length, params, state: "RUNNING" };
          storage.push(t);
          return t;
        });
        for (const t of started) {
          t.state = "COMPLETE";
          t.value = branin(t.params);
        }
      }
      expect(new Set(storage.map((t) => JSON.stringify(t.params))).size).toBe(40);
      expect(bestValue(storage) - 0.397887).toBeLessThan(1);
    }
  });
});
