import { testRedisUrl } from "@hyperensemble/db/testing";
import { createQueueConnection, enqueueTrial, trialQueue } from "@hyperensemble/queue";
import { afterAll, describe, expect, it } from "vitest";
import { isPlatformAdmin, queueSnapshot } from "./snapshot";

describe("isPlatformAdmin", () => {
  it("matches listed emails only, case-insensitively; nobody when the list is unset", () => {
    const admins = "ops@example.test, Root@Example.test  sre@example.test";
    expect(isPlatformAdmin("ops@example.test", admins)).toBe(true);
    expect(isPlatformAdmin("root@example.test", admins)).toBe(true);
    expect(isPlatformAdmin("sre@example.test", admins)).toBe(true);
    expect(isPlatformAdmin("member@example.test", admins)).toBe(false);
    expect(isPlatformAdmin("ops@example.test", undefined)).toBe(false);
    expect(isPlatformAdmin(undefined, admins)).toBe(false);
    expect(isPlatformAdmin("", "")).toBe(false);
  });
});

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
