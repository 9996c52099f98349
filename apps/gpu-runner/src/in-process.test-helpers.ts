// Test helpers: runners in the test's own process (the real trial processor as a BullMQ worker) on
// a test database and a Redis queue namespace of their own. Everything opened is closed, last first,
// by the afterAll that inProcessRunners registers.
import { createTestDatabase, type TestDatabase, testRedisUrl } from "@hyperensemble/db/testing";
import {
  createQueueConnection,
  createTrialWorker,
  type QueueConnection,
  queueEnqueuer,
  type TrialQueue,
  type TrialWorker,
  trialQueue,
} from "@hyperensemble/queue";
import { afterAll, beforeAll } from "vitest";
import { processTrialJob, type TrialOutcome, type TrialProcessorDeps } from "./processTrial.ts";

export interface InProcessRunners {
  database: TestDatabase;
  conn: QueueConnection;
  /** A new trial queue in this file's namespace. */
  freshQueue(): { name: string; queue: TrialQueue };
  /**
   * One runner slot on `queue`: processTrialJob with `deps` (no Runner row: claims record no
   * runner); each job's outcome is passed to `onOutcome`. `shutdown` is the runner's own shutdown
   * signal (a graceful stop of the trial in flight); the worker itself is closed by the afterAll.
   */
  runner(
    name: string,
    queue: TrialQueue,
    deps: Omit<TrialProcessorDeps, "db" | "enqueuer" | "runnerId">,
    onOutcome?: (outcome: TrialOutcome) => void,
  ): { worker: TrialWorker; shutdown: AbortController };
}

export function inProcessRunners(
  label: string,
  o: { maxConnections: number; closeTimeoutMs?: number },
): InProcessRunners {
  const open: { close(): Promise<void> }[] = [];
  let queues = 0;
  const h = {
    freshQueue() {
      const name = `${label}-${++queues}`;
      const queue = trialQueue(h.conn, { name });
      open.push(queue);
      return { name, queue };
    },
    runner(name, queue, deps, onOutcome) {
      const shutdown = new AbortController();
      const worker = createTrialWorker(
        h.conn,
        async (job, cancel) => {
          const outcome = await processTrialJob(
            {
              db: h.database.db,
              enqueuer: queueEnqueuer(queue),
              runnerId: null as unknown as string,
              ...deps,
            },
            job.data,
            shutdown.signal,
            cancel,
            job.timestamp,
          );
          onOutcome?.(outcome);
          return outcome;
        },
        { name, concurrency: 1 },
      );
      open.push({ close: () => worker.close(true) });
      return { worker, shutdown };
    },
  } as InProcessRunners;
  beforeAll(async () => {
    h.database = await createTestDatabase({ max: o.maxConnections });
    h.conn = createQueueConnection({ redisUrl: testRedisUrl(), namespace: `hens_${label}_${process.pid}` });
  });
  // Closing waits for the runners' jobs in flight: on a loaded CI that can outlast the 60 s hook
  // default, so files with busy runners pass a longer closeTimeoutMs.
  // Each close is bounded: in the full suite modes.test.ts's close has hung past 180 s after every test
  // passed (2026-12-03, cause not found yet); a close that has not returned in 30 s is left behind so
  // the file's results stand and the test database is still dropped.
  const bounded = (p: Promise<unknown>) =>
    Promise.race([p, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
  afterAll(async () => {
    await Promise.allSettled(open.reverse().map((c) => bounded(c.close())));
    await bounded(h.database?.drop() ?? Promise.resolve());
  }, o.closeTimeoutMs);
  return h;
}
