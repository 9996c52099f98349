// One queue contract, every backend (STYLE.md #8): the same tests on BullMQ/Redis and on BullMQ's
// PostgreSQL backend. State is read from the queue (getJob/getState), never from QueueEvents, which
// is lossy on PostgreSQL.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase, testRedisUrl } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueueConnection, type QueueConnection } from "./connection.ts";
import {
  createTrialWorker,
  enqueueTrial,
  enqueueTrials,
  queueDepth,
  type TrialJob,
  type TrialQueue,
  type TrialWorker,
  trialQueue,
} from "./trials.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

let database: TestDatabase | undefined;
beforeAll(async () => {
  database = await createTestDatabase({ max: 1 });
});
afterAll(async () => {
  await database?.drop();
});

interface Backend {
  name: "redis" | "postgres";
  env: () => Record<string, string>;
  connect: (namespace: string) => QueueConnection;
}

const backends: Backend[] = [
  {
    name: "redis",
    env: () => ({ QUEUE_REDIS_URL: testRedisUrl() }),
    connect: (namespace) => createQueueConnection({ redisUrl: testRedisUrl(), namespace }),
  },
  {
    name: "postgres",
    env: () => ({ QUEUE_DATABASE_URL: database!.url }),
    connect: (namespace) => createQueueConnection({ redisUrl: "", databaseUrl: database!.url, namespace }),
  },
];

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const job = (n: number): TrialJob => ({ trialId: `trial-${n}`, studyId: "study-1", orgId: "org-1" });

describe.each(backends)("queue contract on $name", (backend) => {
  let conn: QueueConnection;
  let queueCount = 0;
  const open: { close(): Promise<void> }[] = [];
  const freshQueue = (options: { attempts?: number; backoffMs?: number } = {}) => {
    const name = `trials-${++queueCount}`;
    const queue = trialQueue(conn, { ...options, name });
    open.push(queue);
    return { name, queue };
  };
  const worker = (
    name: string,
    processor: Parameters<typeof createTrialWorker>[1],
    extra = {},
  ): TrialWorker => {
    const w = createTrialWorker(conn, processor, { name, concurrency: 2, ...extra });
    open.push({ close: () => w.close() });
    return w;
  };
  const finished = (queue: TrialQueue, id: string) =>
    waitFor(`job ${id} to finish`, async () => {
      // State first: a job read before its terminal state is seen may lack failedReason/returnvalue.
      const state = await queue.getJobState(id);
      return state === "completed" || state === "failed" ? queue.getJob(id) : undefined;
    });

  beforeAll(() => {
    conn = backend.connect(`hens_contract_${process.pid}`);
  });
  afterAll(async () => {
    await Promise.allSettled(open.reverse().map((c) => c.close()));
  });

  it("enqueues, consumes and completes every job once", async () => {
    const { name, queue } = freshQueue();
    await enqueueTrials(queue, [1, 2, 3, 4, 5].map(job));
    expect((await queueDepth(queue)).pending).toBe(5);
    const seen: string[] = [];
    worker(name, async (j) => {
      seen.push(j.data.trialId);
      return { ok: j.data.trialId };
    });
    for (const n of [1, 2, 3, 4, 5]) {
      const done = await finished(queue, `trial-${n}`);
      expect(await done.getState()).toBe("completed");
      expect(done.returnvalue).toEqual({ ok: `trial-${n}` });
    }
    expect(seen.sort()).toEqual(["trial-1", "trial-2", "trial-3", "trial-4", "trial-5"]);
    expect(await queueDepth(queue)).toMatchObject({ pending: 0, active: 0, completed: 5 });
  });

  it("retries a job whose processor threw", async () => {
    const { name, queue } = freshQueue({ attempts: 3, backoffMs: 20 });
    await enqueueTrial(queue, job(1));
    let calls = 0;
    worker(name, async (j) => {
      calls++;
      if (j.attemptsMade === 0) throw new Error("transient");
      return "second time";
    });
    const done = await finished(queue, "trial-1");
    expect(await done.getState()).toBe("completed");
    expect(done.returnvalue).toBe("second time");
    expect(calls).toBe(2);
  });

  it("fails a job after its attempts are used up", async () => {
    const { name, queue } = freshQueue({ attempts: 2, backoffMs: 10 });
    await enqueueTrial(queue, job(1));
    worker(name, async () => {
      throw new Error("always");
    });
    const done = await finished(queue, "trial-1");
    expect(await done.getState()).toBe("failed");
    expect(done.attemptsMade).toBe(2);
    expect(done.failedReason).toBe("always");
  });

  it("deduplicates a repeated jobId (= trial id)", async () => {
    const { name, queue } = freshQueue();
    await enqueueTrial(queue, job(7));
    await enqueueTrial(queue, job(7));
    await enqueueTrials(queue, [job(7), job(8)]);
    expect((await queueDepth(queue)).pending).toBe(2);
    const seen: string[] = [];
    worker(name, async (j) => {
      seen.push(j.data.trialId);
    });
    await finished(queue, "trial-7");
    await finished(queue, "trial-8");
    expect(seen.sort()).toEqual(["trial-7", "trial-8"]);
  });

  it("aborts a running job through cancellation", async () => {
    const { name, queue } = freshQueue({ attempts: 1 });
    await enqueueTrial(queue, job(1));
    const w = worker(name, (_j, signal) => {
      return new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(new Error("cancelled by user")));
      });
    });
    await waitFor("the job to start", async () => w.activeTrialIds().includes("trial-1"));
    expect(w.cancel("trial-1")).toBe(true);
    const done = await finished(queue, "trial-1");
    expect(await done.getState()).toBe("failed");
    expect(done.failedReason).toBe("cancelled by user");
  });

  it("recovers a job whose worker was killed mid-job (lock expired → another worker runs it)", async () => {
    const { name, queue } = freshQueue();
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", require.resolve("tsx"), path.join(here, "test-fixtures", "stalling-worker.ts")],
      {
        env: { ...process.env, ...backend.env(), QUEUE_NAMESPACE: conn.namespace, QUEUE_NAME: name },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      let output = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      await waitFor("the child worker", async () => output.includes("ready"), 20_000);
      await enqueueTrial(queue, job(1));
      await waitFor("the child to take the job", async () => output.includes("started trial-1"), 20_000);
      child.kill("SIGKILL");
      expect(await (await queue.getJob("trial-1"))?.getState()).toBe("active");

      const ran: string[] = [];
      worker(
        name,
        async (j) => {
          ran.push(j.data.trialId);
          return "recovered";
        },
        { lockDurationMs: 1000, stalledIntervalMs: 300 },
      );
      const done = await finished(queue, "trial-1");
      expect(await done.getState()).toBe("completed");
      expect(done.returnvalue).toBe("recovered");
      expect(ran).toEqual(["trial-1"]);
    } finally {
      child.kill("SIGKILL");
    }
  }, 120_000);
});
