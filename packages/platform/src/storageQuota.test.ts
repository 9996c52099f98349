import type { Db } from "@hyperensemble/db";
import { createTestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "./demo.ts";
import { seedFitStudy } from "./fit.test-helpers.ts";
import { createFit } from "./fit.ts";
import { setOrgLimits } from "./limits.ts";
import { checkStorageQuota, jsonBytes, StorageQuotaError, storedBytes } from "./storageQuota.ts";

let db: Db;
let drop: () => Promise<void>;
let org: { id: string; slug: string };
let ownerId: string;
let studyId: string;

beforeAll(async () => {
  const t = await createTestDatabase();
  db = t.db;
  drop = t.drop;
  const demo = await seedDemo(db, { email: "quota@test.local", name: "Quota", password: "pw-123456" });
  org = demo.org;
  ownerId = demo.user.id;
  studyId = await seedFitStudy(db, org.id, ownerId);
}, 120_000);
afterAll(async () => drop());

describe("storage quota", () => {
  it("storedBytes counts trial results and fits (outcome and artifact), per organisation", async () => {
    const results = await db.$queryRaw<{ b: bigint }[]>`
      SELECT sum(pg_column_size(r.*)) AS b FROM "TrialResult" r WHERE r."orgId" = ${org.id}`;
    // Three seeded trials with results, no dataset, no fit yet.
    expect(await storedBytes(db, [org.id])).toBe(Number(results[0]?.b));
    const fit = await createFit(db, { orgId: org.id, ownerId, input: { studyId, replicas: 2 } });
    const artifact = { replicas: Array.from({ length: 200 }, (_, i) => [i, i / 7, Math.sqrt(i)]) };
    await db.fit.update({ where: { id: fit.id }, data: { artifact, outcome: { kept: 2 } } });
    const [sizes] = await db.$queryRaw<{ a: number; o: number }[]>`
      SELECT pg_column_size("artifact") AS a, pg_column_size("outcome") AS o FROM "Fit" WHERE "id" = ${fit.id}`;
    expect(sizes!.a).toBeGreaterThan(1000);
    expect(await storedBytes(db, [org.id])).toBe(Number(results[0]?.b) + sizes!.a + sizes!.o);
    expect(await storedBytes(db, ["another-org"])).toBe(0);
    // What an upload is charged is never less than what it takes once stored.
    expect(await jsonBytes(db, artifact)).toBeGreaterThanOrEqual(sizes!.a);
  });

  it("refuses a new fit once the quota is reached, and uploads past it, naming the figures", async () => {
    const stored = await storedBytes(db, [org.id]);
    await setOrgLimits(db, org.slug, { maxStorageBytes: stored });
    const fits = await db.fit.count({ where: { orgId: org.id } });
    const refused = await createFit(db, { orgId: org.id, ownerId, input: { studyId, replicas: 2 } }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(StorageQuotaError);
    const n = stored.toLocaleString("en-US");
    expect((refused as Error).message).toContain(
      `storage quota (maxStorageBytes): a new fit: the organisation stores ${n} bytes of its quota of ${n} bytes (this organisation's override); nothing was stored`,
    );
    expect(await db.fit.count({ where: { orgId: org.id } })).toBe(fits);
    // An upload is checked with its size: exactly the room left fits, one byte more does not.
    await setOrgLimits(db, org.slug, { maxStorageBytes: stored + 100 });
    await db.$transaction((tx) => checkStorageQuota(tx, org.id, 100, "this upload"));
    await expect(db.$transaction((tx) => checkStorageQuota(tx, org.id, 101, "this upload"))).rejects.toThrow(
      /this upload needs 101 bytes and the organisation stores/,
    );
    await setOrgLimits(db, org.slug, { maxStorageBytes: null });
    await createFit(db, { orgId: org.id, ownerId, input: { studyId, replicas: 2 } });
    expect(await db.fit.count({ where: { orgId: org.id } })).toBe(fits + 1);
  });
});
