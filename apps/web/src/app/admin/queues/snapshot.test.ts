import { testRedisUrl } from "@hyperensemble/db/testing";
import { createQueueConnection, enqueueTrial, trialQueue } from "@hyperensemble/queue";
import { afterAll, describe, expect, it } from "vitest";
import { handleQueuesRequest, queueSnapshot } from "./snapshot";

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

  it("GET /admin/queues: 401 signed out, 403 for a signed-in non-admin (as /admin/bull), JSON for an admin", async () => {
    let opened = 0;
    const deps = (access: "anonymous" | "forbidden" | "admin") => ({
      access: async () => access,
      queue: () => {
        opened++;
        return queue;
      },
    });
    const anonymous = await handleQueuesRequest(deps("anonymous"));
    expect(anonymous.status).toBe(401);
    const member = await handleQueuesRequest(deps("forbidden"));
    expect(member.status).toBe(403);
    expect(await member.json()).toEqual({ error: "Platform admins only (HENS_PLATFORM_ADMINS)" });
    // Refused before the queue is touched.
    expect(opened).toBe(0);
    const admin = await handleQueuesRequest(deps("admin"));
    expect(admin.status).toBe(200);
    const body = (await admin.json()) as { dashboard: string; depth: { pending: number } };
    expect(body.dashboard).toBe("/admin/bull");
    expect(body.depth).toEqual((await queueSnapshot(queue)).depth);
    expect(admin.headers.get("link")).toBe('</admin/bull>; rel="alternate"; type="text/html"');
  });
});
