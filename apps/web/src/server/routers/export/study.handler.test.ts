// CSV export through export.studyCsv on a real Postgres: a categorical value that a spreadsheet would
// run as a formula is neutralised with a leading quote (OWASP's CSV-injection advice); numbers,
// negative ones included, stay numbers.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callerFor, type SeededOrg, seedOrg } from "../test-fixtures";

let t: TestDatabase;
let seeded: SeededOrg;
beforeAll(async () => {
  t = await createTestDatabase();
  seeded = await seedOrg(t.db, "csv");
});
afterAll(async () => t?.drop());

const FORMULA = '=HYPERLINK("http://x","y")';

it("neutralises formula cells and keeps negative numbers numeric", async () => {
  const caller = callerFor(t.db, { userId: seeded.users.MEMBER.id });
  const choices = [FORMULA, "+1", "-x", "@SUM(A1)", "\tTAB", "plain"];
  const { id } = await caller.study.create({
    org: seeded.org.slug,
    name: "csv injection",
    replicas: 2,
    trials: 1,
    parallelism: 1,
    searchSpace: { activation: { type: "categorical", choices: ["tanh"] } },
  });
  // A study stored before its names were checked against the trainer: its export must stay safe.
  await t.db.study.update({
    where: { id },
    data: {
      searchSpace: {
        link: { type: "categorical", choices },
        shift: { type: "float", low: -2, high: 2, log: false },
      },
    },
  });
  const trial = await t.db.trial.findFirstOrThrow({ where: { studyId: id, orgId: seeded.org.id } });
  const rows = choices.map((link, i) => ({ link, shift: -1.5 + i }));
  await t.db.trial.update({ where: { id: trial.id }, data: { params: rows[0]! } });
  for (const [i, params] of rows.slice(1).entries()) {
    await t.db.trial.create({ data: { orgId: seeded.org.id, studyId: id, number: i + 1, params } });
  }
  await t.db.trialResult.create({
    data: {
      trialId: trial.id,
      orgId: seeded.org.id,
      value: 2.5,
      L1: 2.5,
      L2: 3,
      L3: -0.25,
      phi2: -4,
      epochs: 1,
      backend: "cpu",
      durationSeconds: 1,
    },
  });

  const { csv } = await caller.export.studyCsv({ org: seeded.org.slug, studyId: id });
  const lines = csv.trimEnd().split("\n");
  expect(lines[0]).toBe(
    "number,value,datetime_start,datetime_complete,duration,params_link,params_shift," +
      "user_attrs_L1,user_attrs_L2,user_attrs_L3,user_attrs_phi2,state",
  );
  // The formula cell: quote-prefixed, then CSV-quoted because it holds quotes and a comma.
  expect(lines[1]).toBe(`0,2.5,,,,"'=HYPERLINK(""http://x"",""y"")",-1.5,2.5,3,-0.25,-4,WAITING`);
  expect(lines.slice(2).map((l) => l.split(",").slice(5, 7))).toEqual([
    ["'+1", "-0.5"],
    ["'-x", "0.5"],
    ["'@SUM(A1)", "1.5"],
    ["'\tTAB", "2.5"],
    ["plain", "3.5"],
  ]);
}, 60_000);
