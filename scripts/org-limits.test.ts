// `npm run org:limits`: the operator's script, run as a process against a real database.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLimitArgs } from "./org-limits.ts";

const run = promisify(execFile);
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.organization.create({ data: { slug: "cern", name: "CERN" } });
}, 60_000);
afterAll(async () => database?.drop());

const script = (...args: string[]) =>
  run("npx", ["tsx", "scripts/org-limits.ts", ...args], {
    env: { ...process.env, DATABASE_URL: database.url },
  });

describe("npm run org:limits", () => {
  it("sets an override, shows where each limit comes from, and resets to the default", async () => {
    const set = await script("cern", "maxParallelism=64", "maxTrialCompute=5e12");
    expect(set.stdout).toMatch(/maxParallelism\s+64\s+this organisation's override/);
    expect(set.stdout).toMatch(/maxTrialCompute\s+5000000000000\s+this organisation's override/);
    expect(set.stdout).toMatch(/maxTrialsPerStudy\s+1000\s+HENS_STUDY_MAX_TRIALS/);
    const org = await database.db.organization.findUniqueOrThrow({ where: { slug: "cern" } });
    const row = await database.db.orgLimits.findFirstOrThrow({ where: { orgId: org.id } });
    expect([row.maxParallelism, row.maxTrialCompute]).toEqual([64, 5e12]);
    const reset = await script("cern", "maxParallelism=default");
    expect(reset.stdout).toMatch(/maxParallelism\s+32\s+HENS_STUDY_MAX_PARALLELISM/);
  }, 120_000);

  it("refuses unknown organisations, unknown limits and bad values, naming them", async () => {
    await expect(script("nope")).rejects.toMatchObject({
      stderr: expect.stringContaining('no organisation with slug "nope"'),
    });
    expect(() => parseLimitArgs(["maxEverything=1"])).toThrow(/unknown limit "maxEverything"/);
    expect(() => parseLimitArgs(["maxParallelism=lots"])).toThrow(/maxParallelism: "lots" is not a number/);
    await expect(script("cern", "maxParallelism=2.5")).rejects.toMatchObject({
      stderr: expect.stringContaining("maxParallelism must be a whole number"),
    });
  }, 120_000);
});
