import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgContext, seedOrg } from "../test-fixtures";
import { listRunnersHandler } from "./list.handler";
import { runnerQueueHandler } from "./queue.handler";

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

describe("runner.queue", () => {
  it("lists this org's waiting trials in order, each with why it waits", async () => {
    const a = await seedOrg(tdb.db, "qa");
    const b = await seedOrg(tdb.db, "qb");
    const now = new Date();
    const ctx = orgContext(tdb.db, a, "VIEWER", scopedDb(tdb.db, a.org.id));
    const study = (orgId: string, owner: string, name: string, state: "RUNNING" | "PAUSED") =>
      tdb.db.study.create({
        data: {
          orgId,
          ownerId: owner,
          name,
          state,
          task: {},
          searchSpace: {},
          ensemble: {},
          training: {},
          seed: 1,
          maxTrials: 9,
        },
      });
    const running = await study(a.org.id, a.users.OWNER.id, "q-running", "RUNNING");
    const paused = await study(a.org.id, a.users.OWNER.id, "q-paused", "PAUSED");
    const other = await study(b.org.id, b.users.OWNER.id, "q-other-org", "RUNNING");
    const waiting = (orgId: string, studyId: string, number: number, secondsAgo: number, attempt = 1) =>
      tdb.db.trial.create({
        data: {
          orgId,
          studyId,
          number,
          params: {},
          attempt,
          queuedAt: new Date(now.getTime() - secondsAgo * 1000),
        },
      });
    await waiting(a.org.id, running.id, 0, 30);
    await waiting(a.org.id, paused.id, 0, 20);
    await waiting(a.org.id, running.id, 1, 10, 2);
    await waiting(b.org.id, other.id, 0, 40);

    // This test database's other runners are shared: none may be live for "no runner is online".
    await tdb.db.runner.updateMany({ data: { state: "OFFLINE" } });
    let q = await runnerQueueHandler({ ctx, now });
    expect(q.total).toBe(3);
    expect(q.items.map((t) => [t.position, t.studyName, t.number, t.reason])).toEqual([
      [1, "q-running", 0, "no runner is online"],
      [2, "q-paused", 0, "its study is paused"],
      [3, "q-running", 1, "no runner is online (retry, attempt 2)"],
    ]);

    // One live runner with one free slot: the first waiting trial is next, the other waits for it.
    await tdb.db.runner.create({
      data: {
        orgId: a.org.id,
        name: "q-gpu",
        backend: "wasm",
        device: {},
        state: "IDLE",
        concurrency: 1,
        heartbeatAt: now,
      },
    });
    q = await runnerQueueHandler({ ctx, now });
    expect(q.items.map((t) => t.reason)).toEqual([
      "next for a free slot",
      "its study is paused",
      "1 trial ahead for 1 free slot (1 slot on 1 live runner) (retry, attempt 2)",
    ]);
  });
});
