import { testRedisUrl } from "@hyperensemble/db/testing";
import { createQueueConnection, enqueueTrial, trialQueue } from "@hyperensemble/queue";
import { afterAll, describe, expect, it } from "vitest";
import { queueSnapshot } from "./snapshot";

describe("queueSnapshot", () => {
  const queue = trialQueue(
    createQueueConnection({ redisUrl: testRedisUrl(), namespace: `hens_admin_${process.pid}` }),
    { name: "admin-view" },
  );
  afterAll(() => queue.close());

  it("shows depth and jobs without changing them", async () => {
    await enqueueTrial(queue, { trialId: "t-1", studyId: "s-1", orgId: "o-1" });
    await enqueueTrial(queue, { trialId: "t-2", studyId: "s-1", orgId: "o-1" }, { priority: 3 });
    const before = await queueSnapshot(queue);
    expect(before.depth.pending).toBe(2);
    expect(before.jobs.waiting.map((j) => j.trialId)).toEqual(["t-1"]);
    expect(before.jobs.prioritized.map((j) => j.trialId)).toEqual(["t-2"]);
    const after = await queueSnapshot(queue);
    expect(after.depth).toEqual(before.depth);
  });
});
