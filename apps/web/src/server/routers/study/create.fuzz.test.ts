// Fuzzed study specs through study.create (schema, search-space parser, dataset lookup): every input
// is either stored as exactly one study, or rejected with BAD_REQUEST naming a field and nothing
// stored. `npm test` runs a sample; HENS_FUZZ_RUNS=10000 npx vitest run <this file> runs the full fuzz.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { TRPCError } from "@trpc/server";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callerFor, type SeededOrg, seedOrg } from "../test-fixtures";

const RUNS = Number(process.env["HENS_FUZZ_RUNS"] ?? 150);

let t: TestDatabase;
let seeded: SeededOrg;
beforeAll(async () => {
  t = await createTestDatabase();
  seeded = await seedOrg(t.db, "fuzz");
});
afterAll(async () => t.drop());

/** Mostly plausible values with wrong types, out-of-range numbers and junk mixed in. */
const junk = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.constant(null),
  fc.boolean(),
  fc.constant(Number.NaN),
  fc.object({ maxDepth: 1 }),
);
const int = (lo: number, hi: number) =>
  fc.oneof(
    { weight: 40, arbitrary: fc.integer({ min: lo, max: hi }) },
    { weight: 1, arbitrary: fc.integer({ min: -5, max: hi * 100 + 5 }) },
    { weight: 1, arbitrary: fc.double({ noNaN: false }) },
    { weight: 1, arbitrary: junk },
  );
const distribution = fc.oneof(
  fc.record({
    type: fc.constant("float"),
    low: fc.oneof(fc.double({ min: -1, max: 1, noNaN: true }), junk),
    high: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), junk),
    log: fc.boolean(),
  }),
  fc.record({
    type: fc.constant("int"),
    low: int(0, 5),
    high: int(0, 50),
    step: fc.oneof(fc.constant(1), int(0, 3)),
  }),
  fc.record({
    type: fc.constant("categorical"),
    choices: fc.array(fc.constantFrom("tanh", "sigmoid", 1, true), { maxLength: 3 }),
  }),
  junk,
);
const validDistribution = fc.oneof(
  fc.record({
    type: fc.constant("float"),
    low: fc.constant(1e-4),
    high: fc.constant(1e-2),
    log: fc.constant(true),
  }),
  fc.record({ type: fc.constant("int"), low: fc.constant(4), high: fc.integer({ min: 4, max: 40 }) }),
  fc.record({ type: fc.constant("categorical"), choices: fc.constant(["tanh", "sigmoid"]) }),
);
const spec = fc.record(
  {
    name: fc.oneof(
      { weight: 30, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
      { weight: 1, arbitrary: junk },
    ),
    replicas: int(1, 32),
    trials: int(1, 4),
    folds: int(1, 4),
    maxEpochs: int(10, 200),
    parallelism: int(1, 4),
    seed: int(0, 1000),
    sampler: fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom("random", "tpe", "sobol") },
      { weight: 1, arbitrary: junk },
    ),
    scheduler: fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom("none", "median", "asha") },
      { weight: 1, arbitrary: junk },
    ),
    objective: fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom("L1", "L2", "L3") },
      { weight: 1, arbitrary: junk },
    ),
    task: fc.oneof(
      { weight: 20, arbitrary: fc.record({ kind: fc.constant("closure"), level: fc.constantFrom(0, 1, 2) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("closure"), level: int(0, 5) }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("dataset"),
          datasetId: fc.oneof(fc.string({ maxLength: 8 }), junk),
        }),
      },
      { weight: 1, arbitrary: junk },
    ),
    searchSpace: fc.dictionary(
      fc.constantFrom("learning_rate", "units_1", "activation", "n_layers", ""),
      fc.oneof({ weight: 3, arbitrary: validDistribution }, { weight: 1, arbitrary: distribution }),
      { minKeys: 1, maxKeys: 3 },
    ),
  },
  { requiredKeys: ["name", "replicas", "trials"] },
);

it(`${RUNS} fuzzed specs: one study stored, or BAD_REQUEST naming a field and nothing stored`, async () => {
  const caller = callerFor(t.db, { userId: seeded.users.MEMBER.id });
  const orgId = seeded.org.id;
  let accepted = 0;
  let rejected = 0;
  await fc.assert(
    fc.asyncProperty(spec, async (input) => {
      const before = await t.db.study.count({ where: { orgId } });
      try {
        const { id } = await caller.study.create({ org: seeded.org.slug, ...(input as object) } as never);
        accepted += 1;
        expect(await t.db.study.count({ where: { orgId } })).toBe(before + 1);
        expect(await t.db.study.count({ where: { orgId, id } })).toBe(1);
      } catch (err) {
        rejected += 1;
        expect(err).toBeInstanceOf(TRPCError);
        const e = err as TRPCError;
        expect(e.code).toBe("BAD_REQUEST");
        // The field is named: in the zod cause's paths, or as the message's "field: ..." prefix.
        const issues = (e.cause as { issues?: unknown[] } | undefined)?.issues ?? [];
        const zodNamed = issues.some(
          (i) => Array.isArray((i as { path?: unknown }).path) && (i as { path: unknown[] }).path.length > 0,
        );
        const named = zodNamed || /^[\w.]+: /.test(e.message);
        expect(named, `no field named for ${JSON.stringify(input)}: ${e.message}`).toBe(true);
        expect(await t.db.study.count({ where: { orgId } })).toBe(before);
      }
    }),
    { numRuns: RUNS, seed: 20261122 },
  );
  // The generator must exercise both outcomes, or the property says nothing.
  console.log(`study spec fuzz: ${accepted} accepted, ${rejected} rejected`);
  expect(accepted).toBeGreaterThan(0);
  expect(rejected).toBeGreaterThan(0);
}, 600_000);
