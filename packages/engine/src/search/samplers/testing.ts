/** Shared fixtures for sampler tests (not exported from the package). */
import { parseSearchSpace, validateParams } from "../space.ts";
import type { Sampler, StoredTrial } from "../types.ts";

export const conditionalSpace = parseSearchSpace({
  n_layers: { type: "int", low: 1, high: 4 },
  units_3: { type: "int", low: 8, high: 256, log: true, when: { param: "n_layers", gte: 3 } },
  optimizer: { type: "categorical", choices: ["adam", "sgd", "rmsprop"] },
  lr_adam: { type: "float", low: 1e-5, high: 1e-2, log: true, when: { param: "optimizer", in: ["adam"] } },
  lr_sgd: {
    type: "float",
    low: 1e-3,
    high: 1,
    log: true,
    when: { param: "optimizer", in: ["sgd", "rmsprop"] },
  },
  momentum: {
    type: "float",
    low: 0,
    high: 0.99,
    when: [
      { param: "optimizer", in: ["sgd"] },
      { param: "lr_sgd", lte: 0.1 },
    ],
  },
  dropout: { type: "float", low: 0, high: 0.5, step: 0.05 },
  batch: { type: "int", low: 16, high: 256, step: 16 },
});

export const branin2 = parseSearchSpace({
  x0: { type: "float", low: -5, high: 10 },
  x1: { type: "float", low: 0, high: 15 },
});

export function branin(p: Record<string, unknown>): number {
  const x1 = p["x0"] as number;
  const x2 = p["x1"] as number;
  const b = 5.1 / (4 * Math.PI ** 2);
  return (x2 - b * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
}

/** A toy objective on the conditional space, so model-based samplers have something to learn. */
export function conditionalObjective(p: Record<string, unknown>): number {
  const lr = (p["lr_adam"] as number | undefined) ?? (p["lr_sgd"] as number);
  return Math.abs(Math.log10(lr) + 3) + 0.1 * (p["n_layers"] as number) + (p["dropout"] as number);
}

/** Runs a sampler sequentially and returns the history; asserts each proposal is valid. */
export function runSequential(
  sampler: Sampler,
  space: typeof branin2,
  objective: (p: Record<string, unknown>) => number,
  n: number,
): StoredTrial[] {
  const trials: StoredTrial[] = [];
  for (let i = 0; i < n; i++) {
    const params = sampler.ask(space, trials);
    const problems = validateParams(space, params);
    if (problems.length)
      throw new Error(`${sampler.name} proposed an invalid configuration: ${problems.join("; ")}`);
    trials.push({ number: i, params, state: "COMPLETE", value: objective(params) });
  }
  return trials;
}

export function bestValue(trials: readonly StoredTrial[]): number {
  return Math.min(...trials.map((t) => t.value ?? Number.POSITIVE_INFINITY));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
