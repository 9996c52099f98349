// The trial queue. The queue delivers at least once; exactly-once lives in Postgres (claimTrial's
// compare-and-set), so a duplicate or redelivered job is harmless. jobId = trial id dedupes enqueues.
import type { IQueueBackend, Job, JobsOptions, Queue, Worker } from "bullmq";
import { z } from "zod";
import type { QueueConnection } from "./connection.ts";

export const TRIAL_QUEUE_NAME = "trials";
const TRIAL_JOB_NAME = "trial";

/** The job payload: identifiers only, never secrets or study data (read those from Postgres). */
export const trialJobSchema = z.object({
  trialId: z.string().min(1),
  studyId: z.string().min(1),
  orgId: z.string().min(1),
});
export type TrialJob = z.infer<typeof trialJobSchema>;

export type TrialQueue = Queue<TrialJob, unknown, string, TrialJob, unknown, string, IQueueBackend, unknown>;
export type TrialWorkerHandle = Worker<TrialJob, unknown, string, IQueueBackend>;

export interface TrialQueueOptions {
  /** Deliveries per job before BullMQ marks it failed (thrown errors and stalls). Default 3. */
  attempts?: number;
  /** First retry delay; exponential backoff. Default 1000 ms. */
  backoffMs?: number;
  /** Queue name; tests give each case its own. Default "trials". */
  name?: string;
}

export function trialQueue(conn: QueueConnection, options: TrialQueueOptions = {}): TrialQueue {
  const defaultJobOptions: JobsOptions = {
    attempts: options.attempts ?? 3,
    backoff: { type: "exponential", delay: options.backoffMs ?? 1000 },
    // Finished jobs are kept a while (a repeated jobId within that window stays deduplicated) but not forever.
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
  const queue = new conn.classes.Queue<TrialJob>(options.name ?? TRIAL_QUEUE_NAME, {
    ...conn.queueOptions(),
    defaultJobOptions,
  }) as TrialQueue;
  targets.set(queue, conn.target);
  // Errors surface on the producer's calls (QueueUnavailableError); an unhandled 'error' event
  // would crash the process while the store is down.
  queue.on("error", () => undefined);
  return queue;
}

/** The queue's store (Redis or PostgreSQL) cannot be reached: the producer should report, not wait. */
export class QueueUnavailableError extends Error {
  constructor(
    readonly target: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`trial queue unavailable (${target}): ${reason}`, { cause });
    this.name = "QueueUnavailableError";
  }
}

const targets = new WeakMap<object, string>();
/** How long a producer waits for the queue store before giving up. */
export const PRODUCER_TIMEOUT_MS = 5_000;

const UNREACHABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|isn't writeable|Connection is closed|Connection terminated|connect|terminating connection|the database system is/i;

/** Runs a producer call with a deadline; store outages become QueueUnavailableError at once. */
async function produce<T>(queue: TrialQueue, call: () => Promise<T>): Promise<T> {
  const target = targets.get(queue) ?? queue.name;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new QueueUnavailableError(target, `no answer within ${PRODUCER_TIMEOUT_MS} ms`)),
      PRODUCER_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([call(), deadline]);
  } catch (error) {
    if (error instanceof QueueUnavailableError) throw error;
    if (error instanceof Error && UNREACHABLE.test(error.message))
      throw new QueueUnavailableError(target, error);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Enqueue one trial; a second call with the same trial id while its job exists adds nothing. */
export async function enqueueTrial(
  queue: TrialQueue,
  job: TrialJob,
  options: Pick<JobsOptions, "priority" | "delay"> = {},
): Promise<Job<TrialJob>> {
  const data = trialJobSchema.parse(job);
  return produce(
    queue,
    () => queue.add(TRIAL_JOB_NAME, data, { ...options, jobId: data.trialId }) as Promise<Job<TrialJob>>,
  );
}

export async function enqueueTrials(queue: TrialQueue, jobs: TrialJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const bulk = jobs.map((job) => {
    const data = trialJobSchema.parse(job);
    return { name: TRIAL_JOB_NAME, data, opts: { jobId: data.trialId } };
  });
  await produce(queue, () => queue.addBulk(bulk));
}

/**
 * Enqueue a trial that went back to WAITING (reaped or rerun). A job for it that already finished
 * (completed or failed) would swallow the new enqueue as a duplicate, so it is removed first; a job
 * still waiting, delayed or active is left alone (it will claim the new attempt).
 */
export async function requeueTrial(queue: TrialQueue, job: TrialJob): Promise<boolean> {
  const existing = await produce(queue, () => queue.getJob(job.trialId));
  if (existing) {
    const state = await existing.getState();
    if (state !== "completed" && state !== "failed") return false;
    await existing.remove();
  }
  await enqueueTrial(queue, job);
  return true;
}

export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
  prioritized: number;
  completed: number;
  failed: number;
  /** Jobs not yet started: what runner autoscaling should follow. */
  pending: number;
}

/** Counts for metrics (Prometheus gauges, HPA/KEDA scaling on `pending`). */
export async function queueDepth(queue: TrialQueue): Promise<QueueDepth> {
  const counts = await queue.getJobCounts(
    "waiting",
    "active",
    "delayed",
    "prioritized",
    "completed",
    "failed",
  );
  const get = (key: string) => counts[key] ?? 0;
  return {
    waiting: get("waiting"),
    active: get("active"),
    delayed: get("delayed"),
    prioritized: get("prioritized"),
    completed: get("completed"),
    failed: get("failed"),
    pending: get("waiting") + get("delayed") + get("prioritized"),
  };
}

export type TrialProcessor<R = unknown> = (job: Job<TrialJob>, signal: AbortSignal) => Promise<R>;

export interface TrialWorkerOptions {
  concurrency?: number;
  /** Queue name (must match trialQueue's). Default "trials". */
  name?: string;
  /** How long a job's lock lives without renewal; a dead worker's job is recovered after it. Default 30 s. */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (of any worker). Default 30 s. */
  stalledIntervalMs?: number;
  /** Stall recoveries per job before it is failed. Default 2. */
  maxStalledCount?: number;
  /**
   * The cancellation control channel: polled with the trial ids this worker is running, returns
   * those to abort (e.g. trials whose study was cancelled in Postgres). Their processors' signals fire.
   */
  cancelled?: (trialIds: string[]) => Promise<string[]>;
  cancelPollMs?: number;
  autorun?: boolean;
}

export interface TrialWorker {
  readonly worker: TrialWorkerHandle;
  /** Trial ids this worker is processing now. */
  activeTrialIds(): string[];
  /** Abort a trial running in this worker (BullMQ job cancellation); false if it is not here. */
  cancel(trialId: string, reason?: string): boolean;
  /** Stop taking jobs and wait for running ones (force: do not wait). */
  close(force?: boolean): Promise<void>;
}

/**
 * A worker on the trial queue. The processor gets the job and an AbortSignal that fires when the trial
 * is cancelled (cancel(), or the `cancelled` control channel); it should then stop and throw
 * UnrecoverableError so BullMQ does not retry.
 */
export function createTrialWorker<R>(
  conn: QueueConnection,
  processor: TrialProcessor<R>,
  options: TrialWorkerOptions = {},
): TrialWorker {
  const active = new Set<string>();
  const run = async (job: Job<TrialJob>, _token?: string, signal?: AbortSignal): Promise<R> => {
    const id = job.id ?? job.data.trialId;
    active.add(id);
    try {
      return await processor(job, signal ?? new AbortController().signal);
    } finally {
      active.delete(id);
    }
  };
  const worker = new conn.classes.Worker<TrialJob>(options.name ?? TRIAL_QUEUE_NAME, run, {
    ...conn.workerOptions(),
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    autorun: options.autorun ?? true,
  }) as TrialWorkerHandle;
  // An unhandled 'error' event would crash the process; connection blips are retried by BullMQ.
  worker.on("error", (error) => {
    if (process.env["QUEUE_DEBUG"]) console.error(`[queue] worker error: ${error.message}`);
  });

  let poll: NodeJS.Timeout | undefined;
  const { cancelled } = options;
  if (cancelled) {
    let polling = false;
    poll = setInterval(() => {
      if (polling || active.size === 0) return;
      polling = true;
      cancelled([...active])
        .then((ids) => {
          for (const id of ids) worker.cancelJob(id, "cancelled");
        })
        .catch(() => {}) // the next tick retries
        .finally(() => {
          polling = false;
        });
    }, options.cancelPollMs ?? 1000);
    poll.unref();
  }

  return {
    worker,
    activeTrialIds: () => [...active],
    cancel: (trialId, reason) => worker.cancelJob(trialId, reason ?? "cancelled"),
    close: async (force = false) => {
      if (poll) clearInterval(poll);
      await worker.close(force);
    },
  };
}
