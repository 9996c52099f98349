// Services going away under a running fleet, on both queue backends. The queue's store restarted
// with 500 trials queued: Redis without persistence (the queue's contents are gone), or, on BullMQ's
// PostgreSQL backend, a crash of the Postgres that holds both the queue and the trial rows. And a
// Postgres crash-restart while a study is being filled, with the queue on Redis (only the database
// goes away) or in that same Postgres (both do). Postgres is the source of truth: every trial still
// completes exactly once, nothing is half-written, and producers fail fast with a clear error while a
// service is down.
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createDb, type Db, migrateDatabase } from "@hyperensemble/db";
import { startEmbeddedPostgres } from "@hyperensemble/db/embedded";
import { createTestDatabase, testRedisUrl } from "@hyperensemble/db/testing";
import { fillQueue } from "@hyperensemble/platform";
import {
  createQueueConnection,
  enqueueTrial,
  enqueueTrials,
  type QueueConnection,
  QueueUnavailableError,
  trialQueue,
} from "@hyperensemble/queue";
import { afterAll, describe, expect, it } from "vitest";
import {
  freePort,
  queueEnqueuer,
  type RunnerProcess,
  seedOrg,
  seedStudy,
  spawnRunner,
  startRedis,
  stopRunners,
  studyLedger,
  waitFor,
  waitForStudyCompleted,
} from "./fleet.test-helpers.ts";

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
});

async function seedQueuedTrials(db: Db, studyId: string, orgId: string, n: number) {
  await db.trial.createMany({
    data: Array.from({ length: n }, (_, number) => ({
      orgId,
      studyId,
      number,
      params: {
        learning_rate: 10 ** (-4 + (3 * number) / n),
        units_1: 4 + (number % 60),
        activation: "tanh",
      },
    })),
  });
  return db.trial.findMany({ where: { studyId }, select: { id: true } });
}

/** A Postgres of the test's own (embedded, migrated) that can be crashed and started again. */
async function crashablePostgres(name: string) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `hens-${name}-`));
  cleanup.push(() => fs.rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const start = () => startEmbeddedPostgres({ dataDir, port, database: "hens", ephemeral: true });
  let server = await start();
  cleanup.push(() => server.stop());
  await migrateDatabase(server.url);
  return {
    url: server.url,
    /** SIGQUIT to the postmaster is an immediate shutdown (no checkpoint; WAL replay on start). */
    crash: async () => {
      const pid = Number((await fs.readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
      process.kill(pid, "SIGQUIT");
      await waitFor("postgres to exit", async () => !existsSync(`/proc/${pid}`), 20_000);
    },
    restart: async () => {
      server = await start();
    },
  };
}

/** The producer call fails within 5 s (no waiting for the service) with an error matching `message`. */
async function expectFailsFast(
  call: () => Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  message: RegExp,
) {
  const started = Date.now();
  const error = await call().then(
    () => new Error("the producer call succeeded while its service was down"),
    (e: unknown) => e,
  );
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(message);
}

/** Exactly once: n trials, all COMPLETE with one result, numbers unique, no duplicated or foreign progress. */
async function expectCompletedOnce(db: Db, studyId: string, n: number) {
  const ledger = await studyLedger(db, studyId);
  expect(ledger).toMatchObject({
    total: n,
    byState: { COMPLETE: n },
    uniqueNumbers: n,
    maxNumber: n - 1,
    completeWithoutResult: 0,
    resultWithoutComplete: 0,
    duplicatedIntermediate: 0,
  });
  expect(await db.trialResult.count({ where: { trial: { studyId } } })).toBe(n);
  // Every intermediate row belongs to the attempt that finished its trial.
  const [foreign] = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM "IntermediateValue" iv JOIN "Trial" t ON t."id" = iv."trialId"
    WHERE t."studyId" = ${studyId} AND iv."attempt" <> t."attempt"`;
  expect(Number(foreign?.n ?? 0)).toBe(0);
}

/** BullMQ's PostgreSQL backend in `databaseUrl` (its tables in the schema `namespace`). */
const postgresQueue = (databaseUrl: string, namespace: string) =>
  createQueueConnection({ redisUrl: "", databaseUrl, namespace });

/** Where the queue lives, and how its store is taken down and brought back. */
interface QueueStore {
  db: Db;
  databaseUrl: string;
  runnerEnv: Record<string, string>;
  connect(namespace: string): QueueConnection;
  down(): Promise<void>;
  up(): Promise<void>;
  /** The producer's error while the store is down names it. */
  unavailable: RegExp;
}

const queueStores: { name: "redis" | "postgres"; store: string; open: () => Promise<QueueStore> }[] = [
  {
    name: "redis",
    store: "Redis restarted (no persistence: every queued job is gone with it)",
    open: async () => {
      const database = await createTestDatabase({ max: 4 });
      cleanup.push(() => database.drop());
      const port = await freePort();
      const redisUrl = `redis://127.0.0.1:${port}`;
      let redis = await startRedis(port);
      cleanup.push(() => stopChild(redis));
      return {
        db: database.db,
        databaseUrl: database.url,
        runnerEnv: { REDIS_URL: redisUrl },
        connect: (namespace) => createQueueConnection({ redisUrl, namespace }),
        down: () => stopChild(redis),
        up: async () => {
          redis = await startRedis(port);
        },
        unavailable: /trial queue unavailable \(redis:\/\/127\.0\.0\.1:\d+\/?\)/,
      };
    },
  },
  {
    name: "postgres",
    store: "Postgres (queue and trial rows) crash-restarted",
    open: async () => {
      const server = await crashablePostgres("queue-restart");
      const db = createDb(server.url, { max: 4 });
      cleanup.push(() => db.$disconnect());
      return {
        db,
        databaseUrl: server.url,
        runnerEnv: { REDIS_URL: "" },
        connect: (namespace) => postgresQueue(server.url, namespace),
        down: server.crash,
        up: server.restart,
        unavailable:
          /trial queue unavailable \(postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/hens \(schema hens_restart\)\): .*ECONNREFUSED/,
      };
    },
  },
];

describe.each(queueStores)("queue on $name: the queue's store restarted under a running fleet", (backend) => {
  it(`${backend.store} during 500 queued trials: 500/500 complete once; producers fail fast while it is down`, async () => {
    const store = await backend.open();
    const queue = trialQueue(store.connect("hens_restart"));
    cleanup.push(() => queue.close());

    const { org, user } = await seedOrg(store.db);
    const study = await seedStudy(store.db, org.id, user.id, { trials: 500, parallelism: 500 });
    const trials = await seedQueuedTrials(store.db, study.id, org.id, 500);
    await enqueueTrials(
      queue,
      trials.map((t) => ({ trialId: t.id, studyId: study.id, orgId: org.id })),
    );

    const runners: RunnerProcess[] = Array.from({ length: 4 }, (_, i) =>
      spawnRunner(`restart-${backend.name}-${i}`, {
        ...store.runnerEnv,
        DATABASE_URL: store.databaseUrl,
        QUEUE_NAMESPACE: "hens_restart",
        RUNNER_SYNTHETIC_TRIAL_MS: "5",
        RUNNER_CONCURRENCY: "2",
      }),
    );
    cleanup.push(() => stopRunners(runners, "SIGKILL"));
    await Promise.all(runners.map((r) => r.ready));
    const completed = () => store.db.trial.count({ where: { studyId: study.id, state: "COMPLETE" } });
    await waitFor("some trials to complete", async () => (await completed()) >= 60, 120_000, 100);

    const before = await completed();
    await store.down();
    await expectFailsFast(
      () => enqueueTrial(queue, { trialId: "x", studyId: study.id, orgId: org.id }),
      QueueUnavailableError,
      store.unavailable,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await store.up();

    await waitFor("500 trials to complete", async () => (await completed()) === 500, 150_000, 250);
    expect(before).toBeLessThan(500);
    await expectCompletedOnce(store.db, study.id, 500);
    // Every runner lived through the restart.
    expect(runners.map((r) => r.child.exitCode)).toEqual([null, null, null, null]);
    await stopRunners(runners);
  }, 240_000);
});

// A Postgres crash while a study is being filled. On Redis (the production layout) the queue survives
// and only the database goes away; on BullMQ's PostgreSQL backend the queue's tables are a schema of
// the application database (the runner's queue is always on DATABASE_URL), so the crash takes the
// queue down with the trial rows.
const crashBackends: {
  name: "redis" | "postgres";
  env: Record<string, string>;
  connect: (databaseUrl: string, namespace: string) => QueueConnection;
}[] = [
  {
    name: "redis",
    env: {},
    connect: (_url, namespace) => createQueueConnection({ redisUrl: testRedisUrl(), namespace }),
  },
  {
    name: "postgres",
    env: { REDIS_URL: "" },
    connect: postgresQueue,
  },
];

describe.each(crashBackends)("queue on $name: Postgres crash-restarted under a running fleet", (backend) => {
  it("0 partial writes, every trial completes once; producers fail fast while it is down", async () => {
    const server = await crashablePostgres("pg-restart");
    const db = createDb(server.url, { max: 3 });
    cleanup.push(() => db.$disconnect());
    const namespace = `hens_pgrestart_${backend.name}_${process.pid}`;
    const queue = trialQueue(backend.connect(server.url, namespace));
    cleanup.push(() => queue.close());

    const { org, user } = await seedOrg(db);
    const study = await seedStudy(db, org.id, user.id, { trials: 60, parallelism: 6 });
    const ref = { orgId: org.id, studyId: study.id };
    const runners = Array.from({ length: 3 }, (_, i) =>
      spawnRunner(`pgrestart-${backend.name}-${i}`, {
        REDIS_URL: testRedisUrl(),
        ...backend.env,
        DATABASE_URL: server.url,
        QUEUE_NAMESPACE: namespace,
        RUNNER_SYNTHETIC_TRIAL_MS: "200",
      }),
    );
    cleanup.push(() => stopRunners(runners, "SIGKILL"));
    await Promise.all(runners.map((r) => r.ready));
    await fillQueue(db, queueEnqueuer(queue), ref);
    const count = (state: "COMPLETE") => db.trial.count({ where: { studyId: study.id, state } });
    await waitFor("some trials to complete", async () => (await count("COMPLETE")) >= 10, 60_000);

    await server.crash();
    await expectFailsFast(
      () => fillQueue(db, queueEnqueuer(queue), ref),
      Error,
      /ECONNREFUSED|connect|reach|terminat/i,
    );
    if (backend.name === "postgres") {
      // The queue went down with the database: the queue's own producer fails fast too, naming it.
      await expectFailsFast(
        () => enqueueTrial(queue, { trialId: "x", ...ref }),
        QueueUnavailableError,
        new RegExp(
          `trial queue unavailable \\(postgresql://postgres:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/hens \\(schema ${namespace}\\)\\): .*ECONNREFUSED`,
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.restart();

    await waitForStudyCompleted(db, study.id, 120_000, 250);
    // Trials cut off by the crash went back as a next attempt, none was lost or finished twice.
    await expectCompletedOnce(db, study.id, 60);
    expect(runners.map((r) => r.child.exitCode)).toEqual([null, null, null]);
    await stopRunners(runners);
  }, 240_000);
});
