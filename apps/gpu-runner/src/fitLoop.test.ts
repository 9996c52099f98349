import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { createFit, seedDemo } from "@hyperensemble/platform";
import { seedFitStudy } from "@hyperensemble/platform/fit-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFitLoop } from "./fitLoop.ts";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
}, 120_000);
afterAll(async () => tdb?.drop());

const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 1200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
};

describe("fit loop", () => {
  it("runs a QUEUED fit only while the runner is idle, then leaves it COMPLETED", async () => {
    const { org, user } = await seedDemo(tdb.db, {
      email: "loop@test.local",
      name: "L",
      password: "pw-123456",
    });
    const studyId = await seedFitStudy(tdb.db, org.id, user.id);
    const runner = await tdb.db.runner.create({ data: { name: "r", device: {}, backend: "cpu" } });
    const fit = await createFit(tdb.db, { orgId: org.id, ownerId: user.id, input: { studyId, replicas: 2 } });
    let idle = false;
    const logs: string[] = [];
    const loop = startFitLoop({
      db: tdb.db,
      runnerId: runner.id,
      backend: "cpu",
      idle: () => idle,
      log: (m) => logs.push(m),
      intervalMs: 20,
    });
    await new Promise((r) => setTimeout(r, 300));
    // busy with trials: the fit waits
    expect((await tdb.db.fit.findUniqueOrThrow({ where: { id: fit.id } })).state).toBe("QUEUED");
    idle = true;
    await until(
      async () => (await tdb.db.fit.findUniqueOrThrow({ where: { id: fit.id } })).state === "COMPLETED",
    );
    await loop.stop();
    const row = await tdb.db.fit.findUniqueOrThrow({ where: { id: fit.id } });
    expect(row).toMatchObject({ state: "COMPLETED", runnerId: runner.id, progress: 1 });
    expect(logs).toContain(`fit ${fit.id}: COMPLETED`);
  }, 180_000);
});
