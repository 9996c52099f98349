// The Study row's JSON columns are parsed by one schema: a good row comes back typed, a bad one is
// refused naming its column instead of travelling on (to the runner's trial spec, say).
import { describe, expect, it } from "vitest";
import { parseStudyRow, StudyRowError } from "./studyRow.ts";
import { buildTrialSpec } from "./trialSpec.ts";

const row = {
  id: "s1",
  orgId: "o1",
  seed: 7,
  task: { kind: "closure", level: 2 },
  ensemble: { replicas: 4, folds: 2 },
  training: { maxEpochs: 100, reportEvery: 5 },
  sampler: "tpe",
  samplerOptions: { nStartupTrials: 5 },
  samplerChoice: null,
  scheduler: "asha",
  schedulerOptions: { eta: 3 },
  searchSpace: { n_layers: { type: "int", low: 1, high: 3, log: false, step: 1 } },
  fixed: { optimizer: "sgd", dropout: 0.1 },
};

describe("parseStudyRow", () => {
  it("types the JSON columns a query selected and keeps the others as they are", () => {
    const s = parseStudyRow(row);
    expect(s.ensemble.replicas).toBe(4);
    expect(s.task.kind === "closure" && s.task.level).toBe(2);
    expect(s.searchSpace["n_layers"]).toEqual({ type: "int", low: 1, high: 3, log: false, step: 1 });
    expect(s.seed).toBe(7);
    expect(s.fixed).toEqual({ optimizer: "sgd", dropout: 0.1 });
    const partial = parseStudyRow({ id: "s1", training: row.training });
    expect(partial).toEqual({ id: "s1", training: row.training });
  });

  it.each([
    ["ensemble.replicas", { ensemble: { folds: 2 } }],
    ["task.level", { task: { kind: "closure", level: 5 } }],
    ["training.reportEvery", { training: { maxEpochs: 100, reportEvery: 0 } }],
    ["sampler", { sampler: "" }],
    ["sampler", { sampler: "annealing" }],
    ["scheduler", { scheduler: "pbt" }],
    ["samplerOptions.nStartupTrials", { samplerOptions: { nStartupTrials: "x" } }],
    ["schedulerOptions", { schedulerOptions: { grace: 1 } }],
    ["samplerChoice.name", { sampler: "auto", samplerChoice: { name: "annealing", reason: "r" } }],
    ["searchSpace", { searchSpace: { n_layers: { type: "int", low: 3, high: 1 } } }],
    ["fixed.dropout", { fixed: { dropout: [0.1] } }],
  ])("refuses a row with a bad %s, naming it", (path, bad) => {
    const err = (() => {
      try {
        parseStudyRow({ ...row, ...bad });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StudyRowError);
    expect((err as StudyRowError).issues.map((i) => i.path)).toContain(path);
    expect((err as Error).message).toContain(`study s1 has an invalid row: ${path}`);
  });

  it("the runner's trial spec is built from the typed row; a bad row fails before any training", () => {
    const spec = buildTrialSpec(row, { number: 3, params: { n_layers: 2 } });
    expect(spec).toMatchObject({ task: { kind: "closure", level: 2, seed: 7 }, replicas: 4, folds: 2 });
    // The trainer gets the sampled params and the study's fixed settings, both.
    expect(spec.params).toEqual({ n_layers: 2, optimizer: "sgd", dropout: 0.1 });
    expect(() => buildTrialSpec({ ...row, training: {} }, { number: 0, params: {} })).toThrow(
      /training\.maxEpochs/,
    );
  });
});
