import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { checkTheory, syntheticTheory, theoryJson } from "@hyperensemble/engine";
import { createFit, type FitSummary, fitExport, seedDemo } from "@hyperensemble/platform";
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

  it("fits a study on an uploaded theory: the runner builds its task, the outcome tables its sub-datasets", async () => {
    const { org, user } = await seedDemo(tdb.db, {
      email: "theory@test.local",
      name: "T",
      password: "pw-123456",
    });
    const json = theoryJson(
      checkTheory(syntheticTheory({ subsets: 4, pointsPerSubset: 6, gridPoints: 15, level: 1 })),
    );
    const ds = await tdb.db.dataset.create({
      data: { orgId: org.id, name: "dis", kind: "theory", nPoints: 24, summary: {}, data: json as object },
    });
    const studyId = await seedFitStudy(tdb.db, org.id, user.id, ds.id);
    // 30 epochs leave small negative positivity observables (about −0.04): a tolerance that keeps them
    const rule = { chi2Sigma: 4, positivityTolerance: 1 };
    const runner = await tdb.db.runner.create({ data: { name: "t", device: {}, backend: "cpu" } });
    const fit = await createFit(tdb.db, {
      orgId: org.id,
      ownerId: user.id,
      input: { studyId, replicas: 3, rule },
    });
    const loop = startFitLoop({
      db: tdb.db,
      runnerId: runner.id,
      backend: "cpu",
      idle: () => true,
      log: () => undefined,
      intervalMs: 20,
    });
    await until(
      async () =>
        (await tdb.db.fit.findUniqueOrThrow({ where: { id: fit.id } })).state !== "QUEUED" &&
        (await tdb.db.fit.findUniqueOrThrow({ where: { id: fit.id } })).state !== "RUNNING",
    );
    await loop.stop();
    const row = await tdb.db.fit.findUniqueOrThrow({ where: { id: fit.id } });
    expect(row.error).toBeNull();
    expect(row.state).toBe("COMPLETED");
    const summary = row.outcome as unknown as FitSummary;
    expect(summary.datasets.map((d) => [d.name, d.nPoints])).toEqual([
      ["DIS_1", 6],
      ["DIS_2", 6],
      ["DIS_3", 6],
      ["DIS_4", 6],
    ]);
    expect(summary.selection.rule).toEqual(rule);
    expect(row.kept).toBe(3);
    expect(summary.x).toHaveLength(15);
    expect(summary.outputNames).toHaveLength(3);
    const { files } = fitExport(row, "lhapdf") as { files: Record<string, string> };
    expect(Object.keys(files)).toHaveLength(row.kept! + 2);
  }, 180_000);
});
