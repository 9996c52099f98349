import { databaseUrl } from "@hyperensemble/db";
import {
  createQueueConnection,
  queueDepth,
  queueEnqueuer,
  queueRequeuer,
  type TrialEnqueuer,
  type TrialQueue,
  trialQueue,
} from "@hyperensemble/queue";

// One trial queue per web process, opened on first use (BullMQ on Redis, or on Postgres).
const globalForQueue = globalThis as unknown as { hensQueue?: TrialQueue };

function getQueue(): TrialQueue {
  globalForQueue.hensQueue ??= trialQueue(createQueueConnection({ databaseUrl: databaseUrl() }));
  return globalForQueue.hensQueue;
}

/** New trials, with the priority fillQueue gives them under the organisation's admission limit. */
export const enqueuer: TrialEnqueuer = queueEnqueuer(getQueue);

/** For trials back in WAITING: a finished job under the same id is replaced, a live one kept. */
export const requeuer: TrialEnqueuer = queueRequeuer(getQueue);

export async function queueHealth() {
  return queueDepth(getQueue());
}
