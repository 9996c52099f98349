// Study specs checked against the trainer at creation (tRPC and REST, real Postgres): the wrong specs
// of issue 14 are each refused with the field's path and store nothing; Optuna's distribution JSON
// (objects, strings, legacy names) is taken as a search space.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRestRequest } from "../../../app/api/v1/_lib/handler";
import { callerFor, requestContext, type SeededOrg, seedOrg } from "../test-fixtures";

let t: TestDatabase;
let seeded: SeededOrg;
beforeAll(async () => {
  t = await createTestDatabase();
  seeded = await seedOrg(t.db, "checks");
});
afterAll(async () => t?.drop());

const base = { name: "checked", replicas: 2, trials: 1, parallelism: 1 };
const lr = { type: "float", low: 0.001, high: 0.03, log: true };

const wrong: { name: string; spec: Record<string, unknown>; field: string; message: RegExp }[] = [
  {
    name: "a categorical value the trainer does not know",
    spec: { searchSpace: { optimizer: { type: "categorical", choices: ["adam", "foo"] } } },
    field: "searchSpace.optimizer.choices.1",
    message: /"foo" is not a value the trainer knows \(optimizer takes adam, nadam/,
  },
  {
    name: "a misspelt parameter",
    spec: { searchSpace: { learning_rate: lr, optimiser: { type: "categorical", choices: ["adam"] } } },
    field: "searchSpace.optimiser",
    message: /unknown hyperparameter "optimiser" \(did you mean optimizer\?\)/,
  },
  {
    name: "a top-level field the spec does not have",
    spec: { epochs: 50, searchSpace: { learning_rate: lr } },
    field: "epochs",
    message: /unknown field "epochs" \(did you mean maxEpochs\?\)/,
  },
  {
    name: "a range outside the trainer's bounds",
    spec: { searchSpace: { dropout: { type: "float", low: 0, high: 0.8 } } },
    field: "searchSpace.dropout.high",
    message: /0\.8 is above the trainer's bound \(dropout takes ≥ 0 and ≤ 0\.5\)/,
  },
  {
    name: "a float distribution for a whole-number parameter",
    spec: { searchSpace: { units_1: { type: "float", low: 4, high: 40 } } },
    field: "searchSpace.units_1.type",
    message: /must be int or categorical/,
  },
  {
    name: "an inverted range",
    spec: { searchSpace: { learning_rate: { type: "float", low: 0.1, high: 0.01 } } },
    field: "searchSpace.learning_rate.low",
    message: /must be <= high/,
  },
  {
    name: "an Optuna distribution outside the trainer's bounds",
    spec: {
      searchSpace: {
        n_layers: '{"name": "IntUniformDistribution", "attributes": {"low": 1, "high": 6, "step": 1}}',
      },
    },
    field: "searchSpace.n_layers.high",
    message: /6 is above the trainer's bound/,
  },
  {
    name: "an unknown Optuna distribution",
    spec: { searchSpace: { dropout: { name: "BetaDistribution", attributes: {} } } },
    field: "searchSpace.dropout.name",
    message: /unknown Optuna distribution "BetaDistribution"/,
  },
  {
    name: "a fixed setting the trainer does not have",
    spec: { searchSpace: { learning_rate: lr }, fixed: { optimiser: "sgd" } },
    field: "fixed.optimiser",
    message: /unknown hyperparameter "optimiser" \(did you mean optimizer\?\)/,
  },
  {
    name: "a fixed value outside the trainer's bounds",
    spec: { searchSpace: { learning_rate: lr }, fixed: { dropout: 0.8 } },
    field: "fixed.dropout",
    message: /0\.8 is above the trainer's bound \(dropout takes ≥ 0 and ≤ 0\.5\)/,
  },
  {
    name: "a fixed value of the wrong type",
    spec: { searchSpace: { learning_rate: lr }, fixed: { dropout: "0.1" } },
    field: "fixed.dropout",
    message: /must be a number/,
  },
  {
    name: "a fixed categorical value the trainer does not know",
    spec: { searchSpace: { learning_rate: lr }, fixed: { optimizer: "foo" } },
    field: "fixed.optimizer",
    message: /"foo" is not a value the trainer knows \(optimizer takes adam, nadam/,
  },
  {
    name: "a fixed setting that is also searched",
    spec: { searchSpace: { learning_rate: lr }, fixed: { learning_rate: 0.01 } },
    field: "fixed.learning_rate",
    message: /also in searchSpace/,
  },
  {
    name: "fixed layer sizes that take one trial over the compute limit",
    spec: {
      replicas: 100,
      searchSpace: { learning_rate: lr },
      fixed: { n_layers: 4, units_1: 4096, units_2: 4096, units_3: 4096, units_4: 4096 },
    },
    field: "replicas",
    message: /hidden layers 4096-4096-4096-4096/,
  },
  {
    name: "fixed settings that are not an object",
    spec: { searchSpace: { learning_rate: lr }, fixed: ["sgd"] },
    field: "fixed",
    message: /fixed must be an object of hyperparameter name to value/,
  },
];

const count = () => t.db.study.count({ where: { orgId: seeded.org.id } });

describe.each(wrong)("$name", ({ spec, field, message }) => {
  it("tRPC: BAD_REQUEST with fieldErrors[path], nothing stored", async () => {
    const caller = callerFor(t.db, { userId: seeded.users.MEMBER.id });
    const before = await count();
    const err = await caller.study.create({ org: seeded.org.slug, ...base, ...spec } as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe("BAD_REQUEST");
    const { fieldErrors } = await import("@hyperensemble/platform/schema");
    const cause = (err as TRPCError).cause as Parameters<typeof fieldErrors>[0];
    expect(fieldErrors(cause)[field]).toMatch(message);
    expect(await count()).toBe(before);
  });

  it("REST: 400 with fieldErrors[path], nothing stored", async () => {
    const before = await count();
    const res = await handleRestRequest(
      new Request(`http://hens.test/api/v1/orgs/${seeded.org.slug}/studies`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...base, ...spec }),
      }),
      {
        createContext: async (req) => ({ ...requestContext(t.db, { userId: seeded.users.MEMBER.id }), req }),
      },
    );
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { fieldErrors: Record<string, string> } };
    expect(error.fieldErrors[field]).toMatch(message);
    expect(await count()).toBe(before);
  });
});

it("Optuna's distribution_to_json, objects, strings and legacy names, is stored as our space", async () => {
  const caller = callerFor(t.db, { userId: seeded.users.MEMBER.id });
  const { id } = await caller.study.create({
    org: seeded.org.slug,
    ...base,
    searchSpace: {
      learning_rate: { name: "LogUniformDistribution", attributes: { low: 0.001, high: 0.03 } },
      dropout: '{"name": "DiscreteUniformDistribution", "attributes": {"low": 0.0, "high": 0.5, "q": 0.1}}',
      n_layers: { name: "IntDistribution", attributes: { low: 1, high: 3, log: false, step: 1 } },
      units_2: {
        name: "IntUniformDistribution",
        attributes: { low: 8, high: 32, step: 4 },
        when: { param: "n_layers", gte: 2 },
      },
      momentum: { name: "UniformDistribution", attributes: { low: 0, high: 0.9 } },
      activation: '{"name": "CategoricalDistribution", "attributes": {"choices": ["tanh", "relu"]}}',
      training_fraction: {
        name: "FloatDistribution",
        attributes: { low: 0.5, high: 0.9, log: false, step: null },
      },
    },
  });
  const study = await t.db.study.findFirstOrThrow({ where: { id, orgId: seeded.org.id } });
  expect(study.searchSpace).toEqual({
    learning_rate: { type: "float", low: 0.001, high: 0.03, log: true },
    dropout: { type: "float", low: 0, high: 0.5, log: false, step: 0.1 },
    n_layers: { type: "int", low: 1, high: 3, log: false, step: 1 },
    units_2: { type: "int", low: 8, high: 32, log: false, step: 4, when: [{ param: "n_layers", gte: 2 }] },
    momentum: { type: "float", low: 0, high: 0.9, log: false },
    activation: { type: "categorical", choices: ["tanh", "relu"] },
    training_fraction: { type: "float", low: 0.5, high: 0.9, log: false },
  });
});

it("fixed settings are stored apart from the space and never sampled", async () => {
  const caller = callerFor(t.db, { userId: seeded.users.MEMBER.id });
  const { id } = await caller.study.create({
    org: seeded.org.slug,
    ...base,
    trials: 3,
    parallelism: 3,
    searchSpace: { learning_rate: lr },
    fixed: { optimizer: "sgd", dropout: 0.1 },
  });
  const study = await t.db.study.findFirstOrThrow({ where: { id, orgId: seeded.org.id } });
  expect(study.fixed).toEqual({ optimizer: "sgd", dropout: 0.1 });
  const trials = await t.db.trial.findMany({ where: { studyId: id, orgId: seeded.org.id } });
  expect(trials).toHaveLength(3);
  for (const trial of trials) expect(Object.keys(trial.params as object)).toEqual(["learning_rate"]);
  // A study created without them has none.
  const plain = await caller.study.create({
    org: seeded.org.slug,
    ...base,
    searchSpace: { learning_rate: lr },
  });
  const row = await t.db.study.findFirstOrThrow({ where: { id: plain.id, orgId: seeded.org.id } });
  expect(row.fixed).toEqual({});
});
