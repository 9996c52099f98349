import { describe, expect, it } from "vitest";
import { parseTrialSpec, TrialSpecError, trialSpecSchema } from "./spec.ts";

const ok = {
  task: { kind: "closure", level: 2, seed: 1 },
  replicas: 4,
  folds: 2,
  seed: 3,
  maxEpochs: 100,
  reportEvery: 10,
  params: { n_layers: 2, activation: "tanh" },
};

describe("trial spec", () => {
  it("accepts a valid spec", () => {
    expect(parseTrialSpec(ok)).toMatchObject({ replicas: 4 });
  });

  it.each([
    [{ replicas: 0 }, "replicas"],
    [{ replicas: 2001 }, "replicas"],
    [{ folds: 0 }, "folds"],
    [{ folds: 7 }, "folds"],
    [{ task: { kind: "closure", level: 3, seed: 1 } }, "task.level"],
    [{ task: { kind: "nope" } }, "task.kind"],
    [{ params: { activation: "softmax" } }, "params.activation"],
    [{ params: { dropout: 0.9 } }, "params.dropout"],
    [{ params: { n_layers: 5 } }, "params.n_layers"],
    [{ params: { optimizer: "lbfgs" } }, "params.optimizer"],
    [{ backend: "cuda" }, "backend"],
    [
      {
        task: {
          kind: "tabular",
          dataset: { subsets: [{ name: "a", inputs: [[1]], values: [Number.NaN], stat: [1] }] },
        },
      },
      "task.dataset",
    ],
  ])("rejects %j naming %s", (patch, path) => {
    const r = trialSpecSchema.safeParse({ ...ok, ...patch });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join("."))).toContain(path);
    expect(() => parseTrialSpec({ ...ok, ...patch })).toThrow(TrialSpecError);
  });

  it("error messages carry the nested dataset path", () => {
    const bad = {
      ...ok,
      task: {
        kind: "tabular",
        dataset: { subsets: [{ name: "a", inputs: [[1]], values: [Number.NaN], stat: [1] }] },
      },
    };
    expect(() => parseTrialSpec(bad)).toThrow(/task\.dataset: .*subsets\.0\.values\.0/);
  });
});
