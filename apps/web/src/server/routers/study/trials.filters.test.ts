import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedStudy } from "../../../../e2e/seed";
import { matchesFilters, OBJECTIVE_KEY, type TrialFilter } from "../../../lib/trial-filters";
import { orgContext, type SeededOrg, seedOrg } from "../test-fixtures";
import { studyTrialsHandler } from "./trials.handler";
import { ZStudyTrials } from "./view.schema";

// The table's range filters run in SQL; the charts' brush runs matchesFilters in the browser. Both
// must pick the same trials: checked here on a seeded study, filter by filter and combined.

let tdb: TestDatabase;
let a: SeededOrg;
let studyId = "";
beforeAll(async () => {
  tdb = await createTestDatabase();
  a = await seedOrg(tdb.db, "vf");
  studyId = (
    await seedStudy(tdb.db, { orgId: a.org.id, ownerId: a.users.OWNER.id, name: "F", trials: 90, seed: 11 })
  ).id;
});
afterAll(async () => {
  await tdb?.drop();
});

const ctx = () => orgContext(tdb.db, a, "VIEWER", scopedDb(tdb.db, a.org.id));

async function numbersFromSql(filters: TrialFilter[], extra: object = {}) {
  const input = ZStudyTrials.parse({ studyId, filters, pageSize: 200, ...extra });
  const page = await studyTrialsHandler({ ctx: ctx(), input });
  return { numbers: page.items.map((t) => t.number), total: page.total, page };
}

async function numbersFromBrush(filters: TrialFilter[]) {
  const rows = await tdb.db.trial.findMany({
    where: { orgId: a.org.id, studyId },
    include: { result: true },
    orderBy: { number: "asc" },
  });
  return rows
    .filter((t) =>
      matchesFilters(
        { value: t.result?.value ?? null, params: t.params as Record<string, string | number | boolean> },
        filters,
      ),
    )
    .map((t) => t.number);
}

describe("trial range filters", () => {
  const cases: [string, TrialFilter[]][] = [
    ["log-float range", [{ name: "learning_rate", min: 0.002, max: 0.01 }]],
    ["int range, open top", [{ name: "n_layers", min: 2 }]],
    ["categorical set", [{ name: "activation", values: ["tanh"] }]],
    ["int set compares by JSON value", [{ name: "n_layers", values: [1, 3] }]],
    ["objective range drops trials without a result", [{ name: OBJECTIVE_KEY, max: 1.8 }]],
    [
      "several combine with AND",
      [
        { name: "learning_rate", max: 0.01 },
        { name: "activation", values: ["sigmoid"] },
        { name: OBJECTIVE_KEY, min: 1 },
      ],
    ],
    ["a parameter no trial has matches nothing", [{ name: "dropout", min: 0 }]],
  ];
  for (const [what, filters] of cases)
    it(`SQL and brush agree: ${what}`, async () => {
      const expected = await numbersFromBrush(filters);
      const { numbers, total } = await numbersFromSql(filters);
      expect(numbers).toEqual(expected);
      expect(total).toBe(expected.length);
      if (what.startsWith("a parameter")) expect(total).toBe(0);
      else expect(total).toBeGreaterThan(0);
    });

  it("combine with state, sort and page, and list every parameter's spec", async () => {
    const filters: TrialFilter[] = [{ name: "activation", values: ["tanh"] }];
    const all = await numbersFromBrush(filters);
    const { page, total } = await numbersFromSql(filters, {
      state: "COMPLETE",
      sort: "number",
      dir: "desc",
      page: 1,
      pageSize: 5,
    });
    const complete = await tdb.db.trial.findMany({
      where: { orgId: a.org.id, studyId, state: "COMPLETE", number: { in: all } },
      orderBy: { number: "desc" },
      select: { number: true },
    });
    expect(total).toBe(complete.length);
    expect(page.items.map((t) => t.number)).toEqual(complete.slice(5, 10).map((t) => t.number));
    expect(page.paramSpecs["learning_rate"]).toMatchObject({ type: "float", log: true, low: 0.001 });
    expect(page.paramSpecs["activation"]).toMatchObject({
      type: "categorical",
      choices: ["tanh", "sigmoid"],
    });
  });

  it("refuses bad filters with the field named", () => {
    const bad = (filters: unknown) => () => ZStudyTrials.parse({ studyId, filters });
    expect(bad([{ name: "lr", min: 2, max: 1 }])).toThrow(/filters: min must not exceed max/);
    expect(bad([{ name: "x'; drop table", min: 1 }])).toThrow(/filters: name/);
    expect(bad(Array.from({ length: 17 }, (_, i) => ({ name: `p${i}`, min: 0 })))).toThrow(/at most 16/);
  });

  it("sorts by a parameter's value: numbers numerically, text by text, trials without it last", async () => {
    const rows = await tdb.db.trial.findMany({
      where: { orgId: a.org.id, studyId },
      select: { number: true, params: true },
    });
    const value = (t: (typeof rows)[number], name: string) => (t.params as Record<string, unknown>)[name];
    // The reference: a plain sort in JS, ties (and missing values, last) by trial number.
    const expected = (name: string, dir: 1 | -1) =>
      [...rows]
        .sort((x, y) => {
          const [u, v] = [value(x, name), value(y, name)];
          if (u === undefined || v === undefined)
            return u === v ? x.number - y.number : u === undefined ? 1 : -1;
          const c =
            typeof u === "number"
              ? u - (v as number)
              : String(u) < String(v)
                ? -1
                : String(u) > String(v)
                  ? 1
                  : 0;
          return c * dir || x.number - y.number;
        })
        .map((t) => t.number);
    for (const [name, dir] of [
      ["learning_rate", "asc"],
      ["learning_rate", "desc"],
      ["n_layers", "asc"],
      ["activation", "desc"],
    ] as const) {
      const { numbers } = await numbersFromSql([], { sort: `param:${name}`, dir, pageSize: 200 });
      expect(numbers, `${name} ${dir}`).toEqual(expected(name, dir === "asc" ? 1 : -1));
    }
    // A parameter no trial has: every trial ties, in trial-number order.
    const { numbers } = await numbersFromSql([], { sort: "param:dropout", dir: "desc", pageSize: 200 });
    expect(numbers).toEqual([...rows].map((t) => t.number).sort((x, y) => x - y));
    expect(() => ZStudyTrials.parse({ studyId, sort: "param:x'; drop" })).toThrow(
      /sort must be one of .*param:<parameter name>/,
    );
    expect(() => ZStudyTrials.parse({ studyId, sort: "params" })).toThrow(/sort must be one of/);
  });
});
