import type { TrialEnqueuer, TrialJob } from "@hyperensemble/platform";
import {
  createQueueConnection,
  type QueueConnection,
  type TrialQueue,
  trialQueue,
} from "@hyperensemble/queue";

// One queue connection per web process, opened on first use (BullMQ on Redis, or on Postgres).
const globalForQueue = globalThis as unknown as {
  hensQueue?: Promise<{ conn: QueueConnection; queue: TrialQueue }>;
};

function getQueue() {
  globalForQueue.hensQueue ??= createQueueConnection().then((conn) => ({ conn, queue: trialQueue(conn) }));
  return globalForQueue.hensQueue;
}

export const enqueuer: TrialEnqueuer = {
  async enqueue(job: TrialJob) {
    const { queue } = await getQueue();
    await queue.enqueue(job);
  },
};

export async function queueHealth(): Promise<void> {
  const { queue } = await getQueue();
  await queue.depth();
}
