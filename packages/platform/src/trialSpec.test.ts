// A study's fixed settings reach every trial's training spec beside its sampled params, and the
// trainer's own parser (engine hyperparameters.ts) reads them: sgd and dropout 0.1, not its defaults.
import { hyperparametersSchema } from "@hyperensemble/engine/hyperparameters";
import { describe, expect, it } from "vitest";
import { buildTrialSpec, trialSeed } from "./trialSpec.ts";

const study = {
  id: "s1",
  orgId: "o1",
  seed: 11,
  task: { kind: "closure", level: 0 },
  ensemble: { replicas: 2, folds: 1 },
  training: { maxEpochs: 50, reportEvery: 5 },
  fixed: { optimizer: "sgd", dropout: 0.1 },
};

describe("buildTrialSpec with fixed settings", () => {
  it("gives the trainer the sampled params and the fixed settings, for every trial", () => {
    for (const [number, lr] of [
      [0, 0.003],
      [1, 0.02],
    ] as const) {
      const spec = buildTrialSpec(study, { number, params: { learning_rate: lr, n_layers: 1 } });
      expect(spec.params).toEqual({ learning_rate: lr, n_layers: 1, optimizer: "sgd", dropout: 0.1 });
      expect(spec.seed).toBe(trialSeed(11, number));
      const hp = hyperparametersSchema.parse(spec.params);
      expect(hp).toMatchObject({ optimizer: "sgd", dropout: 0.1, learning_rate: lr, n_layers: 1 });
    }
  });

  it("without fixed settings the trainer falls back to its own defaults", () => {
    const spec = buildTrialSpec({ ...study, fixed: {} }, { number: 0, params: { n_layers: 1 } });
    expect(spec.params).toEqual({ n_layers: 1 });
    expect(hyperparametersSchema.parse(spec.params)).toMatchObject({ optimizer: "adam", dropout: 0 });
  });

  it("the study's fixed value wins over a trial's own (an older trial stored before the split)", () => {
    const spec = buildTrialSpec(study, { number: 0, params: { optimizer: "adam" } });
    expect(spec.params).toEqual({ optimizer: "sgd", dropout: 0.1 });
  });

  it("a fixed setting that is not a scalar fails before any training, naming it", () => {
    expect(() =>
      buildTrialSpec({ ...study, fixed: { dropout: { v: 1 } } }, { number: 0, params: {} }),
    ).toThrow(/fixed\.dropout/);
  });
});
