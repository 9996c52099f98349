import { describe, expect, it } from "vitest";
import { fitTestWorld } from "./fit.test-helpers.ts";
import { createFit } from "./fit.ts";
import { setOrgLimits } from "./limits.ts";
import { checkStorageQuota, jsonBytes, StorageQuotaError, storedBytes } from "./storageQuota.ts";

const w = fitTestWorld("quota@test.local");
const newFit = () =>
  createFit(w.db, { orgId: w.org.id, ownerId: w.ownerId, input: { studyId: w.studyId, replicas: 2 } });

describe("storage quota", () => {
  it("storedBytes counts trial results and fits (outcome and artifact), per organisation", async () => {
    const results = await w.db.$queryRaw<{ b: bigint }[]>`
      SELECT sum(pg_column_size(r.*)) AS b FROM "TrialResult" r WHERE r."orgId" = ${w.org.id}`;
    // Three seeded trials with results, no dataset, no fit yet.
    expect(await storedBytes(w.db, [w.org.id])).toBe(Number(results[0]?.b));
    const fit = await newFit();
    const artifact = { replicas: Array.from({ length: 200 }, (_, i) => [i, i / 7, Math.sqrt(i)]) };
    await w.db.fit.update({ where: { id: fit.id }, data: { artifact, outcome: { kept: 2 } } });
    const [sizes] = await w.db.$queryRaw<{ a: number; o: number }[]>`
      SELECT pg_column_size("artifact") AS a, pg_column_size("outcome") AS o FROM "Fit" WHERE "id" = ${fit.id}`;
    expect(sizes!.a).toBeGreaterThan(1000);
    expect(await storedBytes(w.db, [w.org.id])).toBe(Number(results[0]?.b) + sizes!.a + sizes!.o);
    expect(await storedBytes(w.db, ["another-org"])).toBe(0);
    // What an upload is charged is never less than what it takes once stored.
    expect(await jsonBytes(w.db, artifact)).toBeGreaterThanOrEqual(sizes!.a);
  });

  it("refuses a new fit once the quota is reached, and uploads past it, naming the figures", async () => {
    const stored = await storedBytes(w.db, [w.org.id]);
    await setOrgLimits(w.db, w.org.slug, { maxStorageBytes: stored });
    const fits = await w.db.fit.count({ where: { orgId: w.org.id } });
    const refused = await newFit().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StorageQuotaError);
    const n = stored.toLocaleString("en-US");
    expect((refused as Error).message).toContain(
      `storage quota (maxStorageBytes): a new fit: the organisation stores ${n} bytes of its quota of ${n} bytes (this organisation's override); nothing was stored`,
    );
    expect(await w.db.fit.count({ where: { orgId: w.org.id } })).toBe(fits);
    // An upload is checked with its size: exactly the room left fits, one byte more does not.
    await setOrgLimits(w.db, w.org.slug, { maxStorageBytes: stored + 100 });
    await w.db.$transaction((tx) => checkStorageQuota(tx, w.org.id, 100, "this upload"));
    await expect(
      w.db.$transaction((tx) => checkStorageQuota(tx, w.org.id, 101, "this upload")),
    ).rejects.toThrow(/this upload needs 101 bytes and the organisation stores/);
    await setOrgLimits(w.db, w.org.slug, { maxStorageBytes: null });
    await newFit();
    expect(await w.db.fit.count({ where: { orgId: w.org.id } })).toBe(fits + 1);
  });
});
