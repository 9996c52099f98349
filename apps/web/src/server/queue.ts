import { databaseUrl } from "@hyperensemble/db";
import type { TrialEnqueuer, TrialJob } from "@hyperensemble/platform";
import {
  createQueueConnection,
  enqueueTrial,
  queueDepth,
  requeueTrial,
  type TrialQueue,
  trialQueue,
} from "@hyperensemble/queue";

// One trial queue per web process, opened on first use (BullMQ on Redis, or on Postgres).
const globalForQueue = globalThis as unknown as { hensQueue?: TrialQueue };

function getQueue(): TrialQueue {
  globalForQueue.hensQueue ??= trialQueue(createQueueConnection({ databaseUrl: databaseUrl() }));
  return globalForQueue.hensQueue;
}

export const enqueuer: TrialEnqueuer = {
  async enqueue(job: TrialJob) {
    await enqueueTrial(getQueue(), job);
  },
};

/** For trials back in WAITING: a finished job under the same id is replaced, a live one kept. */
export const requeuer: TrialEnqueuer = {
  async enqueue(job: TrialJob) {
    await requeueTrial(getQueue(), job);
  },
};

export async function queueHealth() {
  return queueDepth(getQueue());
}
