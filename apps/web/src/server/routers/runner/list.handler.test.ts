import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgContext, seedOrg } from "../test-fixtures";
import { listRunnersHandler } from "./list.handler";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

describe("runner.list", () => {
  it("shows shared and own runners, only this org's trials, lost heartbeats, utilisation", async () => {
    const a = await seedOrg(tdb.db, "ra");
    const b = await seedOrg(tdb.db, "rb");
    const now = new Date();
    const started = new Date(now.getTime() - 100_000);
    const shared = await tdb.db.runner.create({
      data: {
        name: "gpu-0",
        backend: "tensorflow",
        concurrency: 2,
        device: { gpu: { name: "H100" } },
        state: "BUSY",
        heartbeatAt: now,
        startedAt: started,
        busySeconds: 100,
      },
    });
    await tdb.db.runner.create({
      data: { orgId: b.org.id, name: "b-private", backend: "wasm", device: {}, heartbeatAt: now },
    });
    await tdb.db.runner.create({
      data: {
        name: "stale",
        backend: "wasm",
        device: {},
        state: "IDLE",
        heartbeatAt: new Date(now.getTime() - 120_000),
      },
    });
    const study = (owner: string, orgId: string) =>
      tdb.db.study.create({
        data: {
          orgId,
          ownerId: owner,
          name: "s",
          task: {},
          searchSpace: {},
          ensemble: {},
          training: {},
          seed: 1,
          maxTrials: 2,
        },
      });
    const sa = await study(a.users.OWNER.id, a.org.id);
    const sb = await study(b.users.OWNER.id, b.org.id);
    await tdb.db.trial.create({
      data: { orgId: a.org.id, studyId: sa.id, number: 0, params: {}, state: "RUNNING", runnerId: shared.id },
    });
    await tdb.db.trial.create({
      data: { orgId: b.org.id, studyId: sb.id, number: 0, params: {}, state: "RUNNING", runnerId: shared.id },
    });

    const { items } = await listRunnersHandler({
      ctx: orgContext(tdb.db, a, "VIEWER", scopedDb(tdb.db, a.org.id)),
      now,
    });
    expect(items.map((r) => r.name).sort()).toEqual(["gpu-0", "stale"]);
    const gpu = items.find((r) => r.name === "gpu-0")!;
    expect(gpu.busySlots).toBe(2);
    expect(gpu.trials).toEqual([expect.objectContaining({ studyId: sa.id, number: 0 })]);
    expect(gpu.utilisation).toBeCloseTo(0.5, 2);
    expect(items.find((r) => r.name === "stale")!.state).toBe("LOST");
  });
});
