// The browser's spec checks and preview against the real platform: the preview lists the trials a
// study with that seed runs first (created through tRPC on real Postgres), and YAML errors point at
// a line and column.

import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { parseSearchSpace } from "@hyperensemble/engine/search";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, type SeededOrg, seedOrg } from "../server/routers/test-fixtures";
import { checkSpec, EXAMPLE_SPEC, previewSamples } from "./spec";

let t: TestDatabase;
let seeded: SeededOrg;
beforeAll(async () => {
  t = await createTestDatabase();
  seeded = await seedOrg(t.db, "preview");
});
afterAll(async () => t?.drop());

const space = {
  n_layers: { type: "int", low: 1, high: 3 },
  units_2: { type: "int", low: 10, high: 40, when: { param: "n_layers", gte: 2 } },
  activation: { type: "categorical", choices: ["tanh", "sigmoid"] },
  learning_rate: { type: "float", low: 1e-3, high: 3e-2, log: true },
};

describe("the form's preview", () => {
  it.each(["random", "sobol", "tpe"])(
    "shows the first trials a %s study with that seed runs",
    async (sampler) => {
      const caller = callerFor(t.db, { userId: seeded.users.MEMBER.id });
      const { id } = await caller.study.create({
        org: seeded.org.slug,
        name: `preview ${sampler}`,
        replicas: 2,
        trials: 3,
        parallelism: 3,
        seed: 1234,
        sampler: sampler as "random",
        searchSpace: space,
      });
      const trials = await t.db.trial.findMany({
        where: { orgId: seeded.org.id, studyId: id },
        orderBy: { number: "asc" },
      });
      expect(trials.length).toBe(3);
      // jsonb keeps 15-16 significant digits: compare to 12.
      const round = (p: object) =>
        Object.fromEntries(
          Object.entries(p).map(([k, v]) => [k, typeof v === "number" ? Number(v.toPrecision(12)) : v]),
        );
      const preview = previewSamples(parseSearchSpace(space), sampler, 3, 1234);
      expect(preview.map(round)).toEqual(trials.map((x) => round(x.params as object)));
    },
  );
});

describe("spec errors", () => {
  it("a YAML syntax error names its line and column", () => {
    const { issues } = checkSpec("name: x\nreplicas: [1, 2\ntrials: 3\n");
    expect(issues[0]?.line).toBeGreaterThanOrEqual(2);
    expect(issues[0]?.column).toBeGreaterThanOrEqual(1);
    expect(issues[0]?.path).toBe("(syntax)");
  });

  it("a schema error names the field with its line and column", () => {
    const { issues } = checkSpec("name: x\nreplicas: 4\ntrials: 3\nfolds: many\n");
    expect(issues).toContainEqual(expect.objectContaining({ path: "folds", line: 4, column: 8 }));
  });
});

// The spec editor's checks are the API's: an unknown top-level field and a search space the trainer
// refuses are each named by path, with the line they sit on.
it("names an unknown field and each trainer problem in the space by path and line", () => {
  const { spec, issues } = checkSpec(
    [
      "name: s",
      "replicas: 2",
      "trials: 1",
      "epochs: 50",
      "searchSpace:",
      "  optimiser: { type: categorical, choices: [adam] }",
      "  dropout: { type: float, low: 0, high: 0.8 }",
      "",
    ].join("\n"),
  );
  expect(spec).toBeUndefined();
  expect(issues).toEqual([
    {
      path: "epochs",
      message: expect.stringMatching(/^unknown field "epochs" \(did you mean maxEpochs\?\)/),
      line: 4,
      column: expect.any(Number),
    },
    {
      path: "searchSpace.optimiser",
      message: expect.stringMatching(/^unknown hyperparameter "optimiser" \(did you mean optimizer\?\)/),
      line: 6,
      column: expect.any(Number),
    },
    {
      path: "searchSpace.dropout.high",
      message: expect.stringMatching(/0\.8 is above the trainer's bound/),
      line: 7,
      column: expect.any(Number),
    },
  ]);
});

it("names each fixed setting at fault by path and line, as creation does; the example spec passes", () => {
  const { spec, issues } = checkSpec(
    [
      "name: s",
      "replicas: 2",
      "trials: 1",
      "searchSpace:",
      "  learning_rate: { type: float, low: 0.001, high: 0.03, log: true }",
      "fixed:",
      "  optimizer: foo",
      "  dropout: 0.8",
      "  learning_rate: 0.01",
      "",
    ].join("\n"),
  );
  expect(spec).toBeUndefined();
  expect(issues.map((i) => [i.path, i.line])).toEqual([
    ["fixed.optimizer", 7],
    ["fixed.dropout", 8],
    ["fixed.learning_rate", 9],
  ]);
  expect(issues[0]?.message).toMatch(/"foo" is not a value the trainer knows/);
  expect(issues[2]?.message).toMatch(/also in searchSpace/);
  const example = checkSpec(EXAMPLE_SPEC);
  expect(example.issues).toEqual([]);
  expect(example.spec?.fixed).toEqual({ optimizer: "adam", dropout: 0 });
});
