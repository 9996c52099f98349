import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedStudy } from "../../../../e2e/seed";
import { NO_RUNNER, timelineLanes } from "../../../components/charts/timeline";
import { orgContext, type SeededOrg, seedOrg } from "../test-fixtures";
import { studyTimelineHandler } from "./timeline.handler";

let tdb: TestDatabase;
let a: SeededOrg;
let b: SeededOrg;
let studyId = "";
let otherStudy = "";
beforeAll(async () => {
  tdb = await createTestDatabase();
  a = await seedOrg(tdb.db, "tl");
  b = await seedOrg(tdb.db, "tm");
  studyId = (
    await seedStudy(tdb.db, { orgId: a.org.id, ownerId: a.users.OWNER.id, name: "T", trials: 12, seed: 3 })
  ).id;
  otherStudy = (
    await seedStudy(tdb.db, { orgId: b.org.id, ownerId: b.users.OWNER.id, name: "U", trials: 3, seed: 4 })
  ).id;
  const runner = await tdb.db.runner.create({
    data: { orgId: a.org.id, name: "gpu-0", device: {}, backend: "wasm" },
  });
  // Even trials ran on gpu-0; odd ones have no runner (as seeded); trial 11 has not started.
  await tdb.db.trial.updateMany({
    where: { studyId, number: { in: [0, 2, 4, 6, 8, 10] } },
    data: { runnerId: runner.id },
  });
  await tdb.db.trial.updateMany({
    where: { studyId, number: 11 },
    data: { startedAt: null, finishedAt: null },
  });
});
afterAll(async () => {
  await tdb?.drop();
});

describe("views.timeline", () => {
  it("lists each started trial with its runner and times, in start order", async () => {
    const ctx = orgContext(tdb.db, a, "VIEWER", scopedDb(tdb.db, a.org.id));
    const t = await studyTimelineHandler({ ctx, input: { studyId } });
    expect(t.total).toBe(11);
    expect(t.trials.map((r) => r.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(t.trials.filter((r) => r.runner === "gpu-0").map((r) => r.number)).toEqual([0, 2, 4, 6, 8, 10]);
    const { lanes } = timelineLanes(t.trials, Date.now());
    expect(lanes.map((l) => [l.runner, l.bars.length])).toEqual([
      ["gpu-0", 6],
      [NO_RUNNER, 5],
    ]);
  });

  it("another org's study is NOT_FOUND", async () => {
    const ctx = orgContext(tdb.db, a, "OWNER", scopedDb(tdb.db, a.org.id));
    await expect(studyTimelineHandler({ ctx, input: { studyId: otherStudy } })).rejects.toSatisfy(
      (e) => e instanceof TRPCError && e.code === "NOT_FOUND",
    );
  });
});
