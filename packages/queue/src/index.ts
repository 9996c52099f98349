export { type Job, UnrecoverableError } from "bullmq";
export {
  createQueueConnection,
  type QueueBackendKind,
  type QueueConnection,
  type QueueConnectionOptions,
} from "./connection.ts";
export { type EnqueueOptions, queueEnqueuer, queueRequeuer, type TrialEnqueuer } from "./enqueuer.ts";
export {
  createTrialWorker,
  enqueueTrial,
  enqueueTrials,
  PRODUCER_TIMEOUT_MS,
  type QueueDepth,
  QueueUnavailableError,
  queueDepth,
  requeueTrial,
  TRIAL_QUEUE_NAME,
  type TrialJob,
  type TrialProcessor,
  type TrialQueue,
  type TrialQueueOptions,
  type TrialWorker,
  type TrialWorkerHandle,
  type TrialWorkerOptions,
  trialJobSchema,
  trialQueue,
} from "./trials.ts";

/** Close queues, workers and other BullMQ objects together; the first error is rethrown after all close. */
export async function closeAll(...closables: ({ close(): Promise<void> } | undefined)[]): Promise<void> {
  const results = await Promise.allSettled(closables.map((c) => c?.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
