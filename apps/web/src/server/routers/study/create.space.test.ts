// Search spaces through study creation (tRPC and REST, real Postgres): a parameter name or a
// condition's parent that every JavaScript object inherits (toString, constructor, __proto__) is
// refused with a field error `searchSpace.<name>...`, and nothing is stored.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRestRequest } from "../../../app/api/v1/_lib/handler";
import { callerFor, requestContext, type SeededOrg, seedOrg } from "../test-fixtures";

let t: TestDatabase;
let seeded: SeededOrg;
beforeAll(async () => {
  t = await createTestDatabase();
  seeded = await seedOrg(t.db, "space");
});
afterAll(async () => t?.drop());

const RESERVED = "(every JavaScript object has a member by that name): choose another name";

/** Request bodies as JSON text: JSON.parse makes `__proto__` an own key, as a real request does. */
const cases: { name: string; space: string; field: string }[] = [
  {
    name: "a condition on toString",
    space: `{"units": {"type": "int", "low": 1, "high": 4},
              "lr": {"type": "float", "low": 0.001, "high": 0.1, "when": {"param": "toString", "gte": 0}}}`,
    field: "searchSpace.lr.when.0.param",
  },
  {
    name: "a condition on __proto__",
    space: `{"units": {"type": "int", "low": 1, "high": 4},
              "lr": {"type": "float", "low": 0.001, "high": 0.1, "when": {"param": "__proto__", "in": [1]}}}`,
    field: "searchSpace.lr.when.0.param",
  },
  {
    name: "a parameter named constructor",
    space: `{"constructor": {"type": "int", "low": 1, "high": 4}}`,
    field: "searchSpace.constructor",
  },
  {
    name: "a parameter named __proto__",
    space: `{"units": {"type": "int", "low": 1, "high": 4}, "__proto__": {"type": "int", "low": 1, "high": 4}}`,
    field: "searchSpace.__proto__",
  },
];

const body = (space: string) =>
  `{"name": "reserved", "replicas": 2, "trials": 1, "parallelism": 1, "searchSpace": ${space}}`;

describe.each(cases)("$name", ({ space, field }) => {
  it("tRPC: BAD_REQUEST naming the field, nothing stored", async () => {
    const caller = callerFor(t.db, { userId: seeded.users.MEMBER.id });
    const before = await t.db.study.count({ where: { orgId: seeded.org.id } });
    const err = await caller.study.create({ org: seeded.org.slug, ...JSON.parse(body(space)) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe("BAD_REQUEST");
    expect((err as TRPCError).message).toMatch(
      new RegExp(`^${field.replaceAll(".", "\\.")}: "\\w+" is reserved`),
    );
    expect((err as TRPCError).message).toContain(RESERVED);
    expect(await t.db.study.count({ where: { orgId: seeded.org.id } })).toBe(before);
  });

  it("REST: 400 with fieldErrors[field], nothing stored", async () => {
    const before = await t.db.study.count({ where: { orgId: seeded.org.id } });
    const res = await handleRestRequest(
      new Request(`http://hens.test/api/v1/orgs/${seeded.org.slug}/studies`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(space),
      }),
      {
        createContext: async (req) => ({ ...requestContext(t.db, { userId: seeded.users.MEMBER.id }), req }),
      },
    );
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { fieldErrors: Record<string, string> } };
    expect(error.fieldErrors[field]).toMatch(/^"\w+" is reserved/);
    expect(await t.db.study.count({ where: { orgId: seeded.org.id } })).toBe(before);
  });
});

it("an ordinary space with a condition is still accepted", async () => {
  const caller = callerFor(t.db, { userId: seeded.users.MEMBER.id });
  const space = `{"n_layers": {"type": "int", "low": 1, "high": 4},
                  "units_2": {"type": "int", "low": 4, "high": 40, "when": {"param": "n_layers", "gte": 2}}}`;
  const { id } = await caller.study.create({ org: seeded.org.slug, ...JSON.parse(body(space)) });
  expect(await t.db.study.count({ where: { id, orgId: seeded.org.id } })).toBe(1);
});
