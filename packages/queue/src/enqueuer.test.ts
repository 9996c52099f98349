// The one enqueuer (web, runner, platform and tests) keeps fillQueue's priority, which the web's
// own copy used to drop, on BullMQ over Redis.
import { testRedisUrl } from "@hyperensemble/db/testing";
import { afterAll, expect, it } from "vitest";
import { createQueueConnection } from "./connection.ts";
import { queueEnqueuer } from "./enqueuer.ts";
import { trialQueue } from "./trials.ts";

const queue = trialQueue(createQueueConnection({ redisUrl: testRedisUrl(), namespace: `enq-${Date.now()}` }));
afterAll(async () => queue.close());

it("passes the priority through and adds nothing for a repeated trial id", async () => {
  const enqueuer = queueEnqueuer(() => queue);
  await enqueuer.enqueue({ trialId: "t1", studyId: "s", orgId: "o" }, { priority: 7 });
  await enqueuer.enqueue({ trialId: "t2", studyId: "s", orgId: "o" });
  await enqueuer.enqueue({ trialId: "t1", studyId: "s", orgId: "o" }, { priority: 3 });
  expect((await queue.getJob("t1"))?.opts.priority).toBe(7);
  expect((await queue.getJob("t2"))?.opts.priority ?? 0).toBe(0);
  expect(await queue.count()).toBe(2);
});
