import { describe, expect, it } from "vitest";
import { paramImportance } from "./importance.ts";
import { RandomSampler } from "./samplers/random.ts";
import { parseSearchSpace } from "./space.ts";
import type { StoredTrial } from "./types.ts";

describe("parameter importance", () => {
  it("ranks the parameter that drives the objective first", () => {
    const space = parseSearchSpace({
      lr: { type: "float", low: 1e-4, high: 1, log: true },
      noise: { type: "float", low: 0, high: 1 },
      act: { type: "categorical", choices: ["relu", "tanh"] },
    });
    const sampler = new RandomSampler(0);
    const trials: StoredTrial[] = [];
    for (let i = 0; i < 80; i++) {
      const p = sampler.ask(space, trials);
      const value =
        (Math.log10(p["lr"] as number) + 2) ** 2 +
        (p["act"] === "relu" ? 0 : 1) +
        0.01 * (p["noise"] as number);
      trials.push({ number: i, params: p, state: "COMPLETE", value });
    }
    const imp = paramImportance(space, trials, { seed: 1 });
    expect(imp["lr"]!).toBeGreaterThan(imp["act"]!);
    expect(imp["act"]!).toBeGreaterThan(imp["noise"]!);
    expect(Object.values(imp).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });
});
