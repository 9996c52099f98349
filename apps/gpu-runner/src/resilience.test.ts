// Services going away under a running fleet: a Redis restart (no persistence: the queue's contents
// are gone) and a Postgres crash-restart, each with runner processes working. Postgres is the source
// of truth: every trial still completes exactly once, nothing is half-written, and producers fail
// fast with a clear error while a service is down.
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createDb, type Db, migrateDatabase } from "@hyperensemble/db";
import { startEmbeddedPostgres } from "@hyperensemble/db/embedded";
import { createTestDatabase, type TestDatabase, testRedisUrl } from "@hyperensemble/db/testing";
import { fillQueue } from "@hyperensemble/platform";
import {
  createQueueConnection,
  enqueueTrial,
  enqueueTrials,
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
      params: { learning_rate: 10 ** (-4 + (3 * number) / n), units: 4 + (number % 60), activation: "tanh" },
    })),
  });
  return db.trial.findMany({ where: { studyId }, select: { id: true } });
}

describe("Redis restarted under a running fleet", () => {
  it("500 queued trials: 500/500 complete once; producers fail fast while Redis is down", async () => {
    const database: TestDatabase = await createTestDatabase({ max: 4 });
    cleanup.push(() => database.drop());
    const port = await freePort();
    const redisUrl = `redis://127.0.0.1:${port}`;
    let redis = await startRedis(port);
    cleanup.push(() => stopChild(redis));
    const queue = trialQueue(createQueueConnection({ redisUrl, namespace: "hens_restart" }));
    cleanup.push(() => queue.close());

    const { org, user } = await seedOrg(database.db);
    const study = await seedStudy(database.db, org.id, user.id, { trials: 500, parallelism: 500 });
    const trials = await seedQueuedTrials(database.db, study.id, org.id, 500);
    await enqueueTrials(
      queue,
      trials.map((t) => ({ trialId: t.id, studyId: study.id, orgId: org.id })),
    );

    const runners: RunnerProcess[] = Array.from({ length: 4 }, (_, i) =>
      spawnRunner(`restart-${i}`, {
        REDIS_URL: redisUrl,
        DATABASE_URL: database.url,
        QUEUE_NAMESPACE: "hens_restart",
        RUNNER_SYNTHETIC_TRIAL_MS: "5",
        RUNNER_CONCURRENCY: "2",
      }),
    );
    cleanup.push(() => stopRunners(runners, "SIGKILL"));
    await Promise.all(runners.map((r) => r.ready));
    const completed = () => database.db.trial.count({ where: { studyId: study.id, state: "COMPLETE" } });
    await waitFor("some trials to complete", async () => (await completed()) >= 60, 120_000, 100);

    await stopChild(redis); // no persistence: every queued job is gone with it
    const before = await completed();
    const started = Date.now();
    const error = await enqueueTrial(queue, { trialId: "x", studyId: study.id, orgId: org.id }).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect((error as Error).message).toMatch(/trial queue unavailable \(redis:\/\/127\.0\.0\.1:\d+\/?\)/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    redis = await startRedis(port);

    await waitFor("500 trials to complete", async () => (await completed()) === 500, 150_000, 250);
    expect(before).toBeLessThan(500);
    const ledger = await studyLedger(database.db, study.id);
    expect(ledger).toMatchObject({
      total: 500,
      byState: { COMPLETE: 500 },
      uniqueNumbers: 500,
      completeWithoutResult: 0,
      resultWithoutComplete: 0,
      duplicatedIntermediate: 0,
    });
    expect(await database.db.trialResult.count({ where: { trial: { studyId: study.id } } })).toBe(500);
    await stopRunners(runners);
  }, 240_000);
});

describe("Postgres crash-restarted under a running fleet", () => {
  it("0 partial writes, every trial completes once; producers fail fast while it is down", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "hens-pg-restart-"));
    cleanup.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let server = await startEmbeddedPostgres({ dataDir, port, database: "hens", ephemeral: true });
    cleanup.push(() => server.stop());
    await migrateDatabase(server.url);
    const db = createDb(server.url, { max: 3 });
    cleanup.push(() => db.$disconnect());
    const namespace = `hens_pgrestart_${process.pid}`;
    const queue = trialQueue(createQueueConnection({ redisUrl: testRedisUrl(), namespace }));
    cleanup.push(() => queue.close());

    const { org, user } = await seedOrg(db);
    const study = await seedStudy(db, org.id, user.id, { trials: 60, parallelism: 6 });
    const ref = { orgId: org.id, studyId: study.id };
    const runners = Array.from({ length: 3 }, (_, i) =>
      spawnRunner(`pgrestart-${i}`, {
        REDIS_URL: testRedisUrl(),
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

    // Crash: SIGQUIT to the postmaster is an immediate shutdown (no checkpoint; WAL replay on start).
    const pid = Number((await fs.readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
    process.kill(pid, "SIGQUIT");
    await waitFor("postgres to exit", async () => !existsSync(`/proc/${pid}`), 20_000);
    const started = Date.now();
    const error = await fillQueue(db, queueEnqueuer(queue), ref).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/ECONNREFUSED|connect|reach|terminat/i);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    server = await startEmbeddedPostgres({ dataDir, port, database: "hens", ephemeral: true });

    await waitFor(
      "the study to complete",
      async () => (await db.study.findUnique({ where: { id: study.id } }))?.state === "COMPLETED",
      120_000,
      250,
    );
    const ledger = await studyLedger(db, study.id);
    expect(ledger).toMatchObject({
      total: 60,
      uniqueNumbers: 60,
      maxNumber: 59,
      completeWithoutResult: 0,
      resultWithoutComplete: 0,
      duplicatedIntermediate: 0,
    });
    // Trials cut off by the crash went back as a next attempt, none was lost or finished twice.
    expect(ledger.byState["COMPLETE"]).toBe(60);
    const results = await db.trialResult.count({ where: { trial: { studyId: study.id } } });
    expect(results).toBe(60);
    // Every intermediate row belongs to the attempt that finished its trial.
    const [foreign] = await db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM "IntermediateValue" iv JOIN "Trial" t ON t."id" = iv."trialId"
      WHERE t."studyId" = ${study.id} AND iv."attempt" <> t."attempt"`;
    expect(Number(foreign?.n ?? 0)).toBe(0);
    await stopRunners(runners);
  }, 240_000);
});
