// The one trial enqueuer: what the platform calls to queue a trial (fillQueue passes its rank as
// priority under the per-organisation admission limit), over the BullMQ trial queue. Web, runner,
// platform and tests all use these, so a job option such as `priority` cannot be dropped by one copy.
import { enqueueTrial, requeueTrial, type TrialJob, type TrialQueue } from "./trials.ts";

export interface EnqueueOptions {
  /**
   * BullMQ priority (1 = first). fillQueue passes the trial's rank among its organisation's pending
   * trials, so the k-th queued trial of every organisation is served before the (k+1)-th of any:
   * round-robin between organisations on open-source BullMQ (no Pro groups).
   */
  priority?: number;
}

/** Where new trials go: the BullMQ trial queue in production, anything with the same shape in tests. */
export interface TrialEnqueuer {
  enqueue(job: TrialJob, options?: EnqueueOptions): Promise<void>;
}

/** New trials: a job per trial (jobId = trial id, so a repeat adds nothing), with its priority. */
export function queueEnqueuer(queue: TrialQueue | (() => TrialQueue)): TrialEnqueuer {
  const get = typeof queue === "function" ? queue : () => queue;
  return {
    async enqueue(job, options = {}) {
      await enqueueTrial(get(), job, options.priority ? { priority: options.priority } : {});
    },
  };
}

/** Trials back in WAITING: a finished job under the same id is replaced, a live one kept. */
export function queueRequeuer(queue: TrialQueue | (() => TrialQueue)): TrialEnqueuer {
  const get = typeof queue === "function" ? queue : () => queue;
  return {
    async enqueue(job) {
      await requeueTrial(get(), job);
    },
  };
}
