// Optuna's distribution_to_json as a study's search space, round-tripped through the platform:
// distributions written by Optuna (Debian's python3-optuna, 3.1) → REST study creation → the study's
// JSON export → Optuna's json_to_distribution, equal to the originals (legacy classes compared as the
// modern distributions Optuna itself converts them to). Without python3-optuna the fixed JSON that
// Optuna 3.1 writes stands in for step one and the last step is left out; the test's name says so.
import { spawnSync } from "node:child_process";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { handleRestRequest } from "../../../app/api/v1/_lib/handler";
import { requestContext, type SeededOrg, seedOrg } from "../test-fixtures";

const PYTHON = "/usr/bin/python3";
const hasOptuna = spawnSync(PYTHON, ["-c", "import optuna"], { timeout: 60_000 }).status === 0;

/** The distributions, built in Python by Optuna's own classes (legacy names included). */
const DISTRIBUTIONS = `{
  "learning_rate": LogUniformDistribution(1e-4, 0.1),
  "dropout": DiscreteUniformDistribution(0.0, 0.5, 0.1),
  "n_layers": IntUniformDistribution(1, 4),
  "units_1": IntLogUniformDistribution(1, 64),
  "units_2": IntDistribution(4, 40, step=4),
  "momentum": UniformDistribution(0.0, 0.9),
  "training_fraction": FloatDistribution(0.5, 0.9),
  "stopping_patience": FloatDistribution(0.1, 0.3, step=0.05),
  "activation": CategoricalDistribution(["tanh", "relu"]),
  "positivity": CategoricalDistribution([True, False]),
}`;

/** What Optuna 3.1's distribution_to_json writes for DISTRIBUTIONS (used when Python is absent). */
const OPTUNA_31_JSON: Record<string, string> = {
  learning_rate: '{"name": "LogUniformDistribution", "attributes": {"low": 0.0001, "high": 0.1}}',
  dropout: '{"name": "DiscreteUniformDistribution", "attributes": {"low": 0.0, "high": 0.5, "q": 0.1}}',
  n_layers: '{"name": "IntUniformDistribution", "attributes": {"step": 1, "low": 1, "high": 4}}',
  units_1: '{"name": "IntLogUniformDistribution", "attributes": {"step": 1, "low": 1, "high": 64}}',
  units_2: '{"name": "IntDistribution", "attributes": {"log": false, "step": 4, "low": 4, "high": 40}}',
  momentum: '{"name": "UniformDistribution", "attributes": {"low": 0.0, "high": 0.9}}',
  training_fraction:
    '{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.5, "high": 0.9, "log": false}}',
  stopping_patience:
    '{"name": "FloatDistribution", "attributes": {"step": 0.05, "low": 0.1, "high": 0.3, "log": false}}',
  activation: '{"name": "CategoricalDistribution", "attributes": {"choices": ["tanh", "relu"]}}',
  positivity: '{"name": "CategoricalDistribution", "attributes": {"choices": [true, false]}}',
};

function python(script: string, input: string): string {
  const r = spawnSync(PYTHON, ["-c", script], { input, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

const PRELUDE = `import json, sys, warnings
warnings.simplefilter("ignore")
from optuna.distributions import *
from optuna.distributions import _convert_old_distribution_to_new_distribution as modern
originals = ${DISTRIBUTIONS}
`;

let t: TestDatabase;
let s: SeededOrg;
beforeAll(async () => {
  t = await createTestDatabase();
  s = await seedOrg(t.db, "optuna");
});
afterAll(async () => t?.drop());

const rest = (method: string, path: string, body?: unknown) =>
  handleRestRequest(
    new Request(`http://hens.test/api/v1/orgs/${s.org.slug}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    }),
    { createContext: async (req) => ({ ...requestContext(t.db, { userId: s.users.MEMBER.id }), req }) },
  );

it(hasOptuna
  ? "distribution_to_json (objects and strings, legacy names) → study → export → json_to_distribution: equal"
  : "distribution_to_json fixtures (objects and strings, legacy names) → study → export (python3-optuna absent: the json_to_distribution check is left out)", async () => {
  const written: Record<string, string> = hasOptuna
    ? JSON.parse(
        python(`${PRELUDE}print(json.dumps({k: distribution_to_json(d) for k, d in originals.items()}))`, ""),
      )
    : OPTUNA_31_JSON;
  // Half as Optuna's JSON strings, half as the objects they encode: both forms are taken.
  const searchSpace = Object.fromEntries(
    Object.entries(written).map(([k, v], i) => [k, i % 2 === 0 ? v : JSON.parse(v)]),
  );
  const created = await rest("POST", "/studies", {
    name: "optuna space",
    replicas: 2,
    trials: 1,
    searchSpace,
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const trial = await t.db.trial.findFirstOrThrow({ where: { studyId: id, number: 0 } });
  await t.db.intermediateValue.create({
    data: { orgId: s.org.id, trialId: trial.id, step: 10, value: 3.5, attempt: 1 },
  });
  const exported = (await (await rest("GET", `/studies/${id}/export?format=json`)).json()) as {
    distributions: Record<string, { name: string; attributes: unknown }>;
    user_attrs: Record<string, string>;
    trials: { intermediate_values: Record<string, number>; user_attrs: Record<string, unknown> }[];
  };
  // Intermediate values are named for what they are: not the objective `value`.
  expect(exported.user_attrs["intermediate_values"]).toMatch(
    /^mean validation χ² of the ensemble's replicas/,
  );
  expect(exported.trials[0]).toMatchObject({
    intermediate_values: { "10": 3.5 },
    user_attrs: { intermediate_values: "mean_validation_chi2" },
  });
  expect(Object.keys(exported.distributions).sort()).toEqual(Object.keys(written).sort());
  expect(exported.distributions["dropout"]).toEqual({
    name: "FloatDistribution",
    attributes: { step: 0.1, low: 0, high: 0.5, log: false },
  });
  if (!hasOptuna) return;
  const verdict = JSON.parse(
    python(
      `${PRELUDE}ours = json.load(sys.stdin)
print(json.dumps({k: [json_to_distribution(json.dumps(ours[k])) == modern(d), repr(json_to_distribution(json.dumps(ours[k]))), repr(modern(d))] for k, d in originals.items()}))`,
      JSON.stringify(exported.distributions),
    ),
  ) as Record<string, [boolean, string, string]>;
  for (const [name, [equal, back, original]] of Object.entries(verdict))
    expect(equal, `${name}: ${back} != ${original}`).toBe(true);
}, 120_000);
