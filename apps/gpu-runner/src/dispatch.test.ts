// Dispatch end to end, on real Postgres and both queue backends: runner processes (synthetic trials)
// take jobs from BullMQ, claim trials in Postgres, and keep studies filled. Exactly once is checked
// from the database: every trial number once, every trial finished once, no duplicated progress.
import { createTestDatabase, type TestDatabase, testRedisUrl } from "@hyperensemble/db/testing";
import { cancelStudy, fillQueue, pauseStudy, resumeStudy, type TrialEnqueuer } from "@hyperensemble/platform";
import {
  createQueueConnection,
  enqueueTrial,
  type QueueConnection,
  requeueTrial,
  type TrialQueue,
  trialQueue,
} from "@hyperensemble/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  queueEnqueuer,
  type RunnerProcess,
  seedOrg,
  seedStudy,
  spawnRunner,
  stopRunners,
  studyLedger,
  waitFor,
} from "./fleet.test-helpers.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ max: 4 });
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
    env: () => ({ REDIS_URL: testRedisUrl() }),
    connect: (ns) => createQueueConnection({ redisUrl: testRedisUrl(), namespace: ns }),
  },
  {
    name: "postgres",
    env: () => ({ REDIS_URL: "" }),
    connect: (ns) => createQueueConnection({ redisUrl: "", databaseUrl: database.url, namespace: ns }),
  },
];

describe.each(backends)("dispatch on $name", (backend) => {
  const runners: RunnerProcess[] = [];
  let queue: TrialQueue;
  let enqueuer: TrialEnqueuer;
  let requeuer: TrialEnqueuer;
  let namespace: string;
  let owner: { orgId: string; userId: string };
  const runnerEnv = (extra: Record<string, string> = {}) => ({
    ...backend.env(),
    DATABASE_URL: database.url,
    QUEUE_NAMESPACE: namespace,
    ...extra,
  });

  beforeAll(async () => {
    namespace = `hens_dispatch_${backend.name}_${process.pid}`;
    queue = trialQueue(backend.connect(namespace));
    enqueuer = queueEnqueuer(queue);
    requeuer = { enqueue: async (job) => void (await requeueTrial(queue, job)) };
    const { org, user } = await seedOrg(database.db);
    owner = { orgId: org.id, userId: user.id };
  });
  afterAll(async () => {
    await stopRunners(runners, "SIGKILL");
    await queue?.close();
  });

  it("8 runner processes × 4 studies × 50 trials: 0 lost, 0 duplicated, numbers unique", async () => {
    const fleet = Array.from({ length: 8 }, (_, i) =>
      spawnRunner(`${backend.name}-fleet-${i}`, runnerEnv({ RUNNER_SYNTHETIC_TRIAL_MS: "40" })),
    );
    runners.push(...fleet);
    const t0 = Date.now();
    await Promise.all(fleet.map((r) => r.ready));
    console.log(`fleet ready in ${Date.now() - t0} ms`);
    const studies = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        seedStudy(database.db, owner.orgId, owner.userId, { trials: 50, parallelism: 6, seed: i + 1 }),
      ),
    );
    await Promise.all(
      studies.map((s) => fillQueue(database.db, enqueuer, { orgId: s.orgId, studyId: s.id })),
    );
    await waitFor(
      "4 studies to complete",
      async () => {
        const done = await database.db.study.count({
          where: { id: { in: studies.map((s) => s.id) }, state: "COMPLETED" },
        });
        return done === 4;
      },
      300_000,
      250,
    );
    console.log(`studies done in ${Date.now() - t0} ms`);
    for (const s of studies) {
      const ledger = await studyLedger(database.db, s.id);
      if (ledger.byState["COMPLETE"] !== 50) {
        const bad = await database.db.trial.findMany({
          where: { studyId: s.id, state: { not: "COMPLETE" } },
        });
        console.log(JSON.stringify(bad.slice(0, 3), null, 1), fleet[0]!.output().slice(-3000));
      }
      expect(ledger).toMatchObject({
        total: 50,
        byState: { COMPLETE: 50 },
        uniqueNumbers: 50,
        maxNumber: 49,
        completeWithoutResult: 0,
        resultWithoutComplete: 0,
        duplicatedIntermediate: 0,
      });
      const progress = await database.db.intermediateValue.count({ where: { trial: { studyId: s.id } } });
      expect(progress).toBe(50 * 4);
    }
    // Every runner took part.
    const perRunner = await database.db.trial.groupBy({
      by: ["runnerId"],
      where: { studyId: { in: studies.map((s) => s.id) } },
      _count: { _all: true },
    });
    expect(perRunner.length).toBeGreaterThanOrEqual(4);
    await stopRunners(fleet);
    // Generous: 8 runner processes start and train on a 2-core machine that CI may share (a loaded
    // run took 150 s); the test checks what happened to every trial, not how fast.
  }, 420_000);

  it("a runner SIGKILLed mid-trial: the trial completes once, as attempt 2, without duplicated progress", async () => {
    const pair = [0, 1].map((i) =>
      spawnRunner(`${backend.name}-kill-${i}`, runnerEnv({ RUNNER_SYNTHETIC_TRIAL_MS: "2400" })),
    );
    runners.push(...pair);
    await Promise.all(pair.map((r) => r.ready));
    const study = await seedStudy(database.db, owner.orgId, owner.userId, { trials: 1, parallelism: 1 });
    await fillQueue(database.db, enqueuer, { orgId: study.orgId, studyId: study.id });
    const trial = await waitFor("the trial to report progress", async () => {
      const t = await database.db.trial.findFirst({
        where: { studyId: study.id },
        include: { runner: true, _count: { select: { intermediate: true } } },
      });
      return t && t.state === "RUNNING" && t._count.intermediate >= 1 ? t : undefined;
    });
    const holder = pair.find((r) => r.name === trial.runner?.name);
    expect(holder).toBeDefined();
    holder!.child.kill("SIGKILL");
    const done = await waitFor(
      "the trial to complete",
      async () => {
        const t = await database.db.trial.findUnique({ where: { id: trial.id }, include: { runner: true } });
        return t && t.state !== "RUNNING" && t.state !== "WAITING" ? t : undefined;
      },
      120_000,
    );
    expect(done.state).toBe("COMPLETE");
    expect(done.attempt).toBe(2);
    expect(done.runner?.name).not.toBe(holder!.name);
    expect(done.attempts).toMatchObject([{ attempt: 1, outcome: "stale" }]);
    const progress = await database.db.intermediateValue.findMany({ where: { trialId: trial.id } });
    expect(progress.map((p) => p.step).sort()).toEqual([1, 2, 3, 4]);
    expect(progress.every((p) => p.attempt === 2)).toBe(true);
    expect(await database.db.trialResult.count({ where: { trialId: trial.id } })).toBe(1);
    expect((await studyLedger(database.db, study.id)).duplicatedIntermediate).toBe(0);
    await stopRunners(pair);
  }, 180_000);

  it("a duplicate enqueue of a trial: one job, one row, one run", async () => {
    const study = await seedStudy(database.db, owner.orgId, owner.userId, { trials: 1, parallelism: 1 });
    await fillQueue(database.db, enqueuer, { orgId: study.orgId, studyId: study.id });
    await fillQueue(database.db, enqueuer, { orgId: study.orgId, studyId: study.id });
    const [trial] = await database.db.trial.findMany({ where: { studyId: study.id } });
    const job = { trialId: trial!.id, studyId: study.id, orgId: study.orgId };
    await Promise.all([enqueueTrial(queue, job), enqueueTrial(queue, job), enqueuer.enqueue(job)]);
    const jobs = await queue.getJobs(["waiting", "prioritized", "active", "completed", "delayed"]);
    expect(jobs.filter((j) => j.data.trialId === trial!.id)).toHaveLength(1);
    expect(await database.db.trial.count({ where: { studyId: study.id } })).toBe(1);
    const runner = spawnRunner(`${backend.name}-dup`, runnerEnv({ RUNNER_SYNTHETIC_TRIAL_MS: "20" }));
    runners.push(runner);
    await waitFor("the study to complete", async () => {
      const s = await database.db.study.findUnique({ where: { id: study.id } });
      return s?.state === "COMPLETED";
    });
    const after = await database.db.trial.findUniqueOrThrow({ where: { id: trial!.id } });
    expect(after).toMatchObject({ state: "COMPLETE", attempt: 1 });
    expect(await database.db.trial.count({ where: { studyId: study.id } })).toBe(1);
    await stopRunners([runner]);
  }, 120_000);

  it("pause holds new trials, resume finishes the study, cancel aborts running trials", async () => {
    const pair = [0, 1].map((i) =>
      spawnRunner(
        `${backend.name}-ctl-${i}`,
        runnerEnv({ RUNNER_SYNTHETIC_TRIAL_MS: "1200", CANCEL_POLL_MS: "200" }),
      ),
    );
    runners.push(...pair);
    await Promise.all(pair.map((r) => r.ready));
    const db = database.db;
    const study = await seedStudy(db, owner.orgId, owner.userId, { trials: 12, parallelism: 2 });
    const ref = { orgId: study.orgId, studyId: study.id };
    await fillQueue(db, enqueuer, ref);
    await waitFor(
      "two trials done",
      async () => (await db.trial.count({ where: { studyId: study.id, state: "COMPLETE" } })) >= 2,
    );
    await pauseStudy(db, ref);
    // Running trials finish; nothing new starts while paused.
    await waitFor(
      "running trials to finish",
      async () => (await db.trial.count({ where: { studyId: study.id, state: "RUNNING" } })) === 0,
    );
    const settled = await db.trial.count({ where: { studyId: study.id, state: { not: "WAITING" } } });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await db.trial.count({ where: { studyId: study.id, state: { not: "WAITING" } } })).toBe(settled);
    expect((await db.study.findUniqueOrThrow({ where: { id: study.id } })).state).toBe("PAUSED");
    expect(settled).toBeLessThan(12);

    await resumeStudy(db, enqueuer, requeuer, ref);
    await waitFor(
      "the resumed study to complete",
      async () => (await db.study.findUniqueOrThrow({ where: { id: study.id } })).state === "COMPLETED",
      40_000,
    );
    expect(await studyLedger(db, study.id)).toMatchObject({
      total: 12,
      byState: { COMPLETE: 12 },
      uniqueNumbers: 12,
    });

    const doomed = await seedStudy(db, owner.orgId, owner.userId, { trials: 20, parallelism: 2 });
    const doomedRef = { orgId: doomed.orgId, studyId: doomed.id };
    await fillQueue(db, enqueuer, doomedRef);
    await waitFor(
      "a trial to run",
      async () => (await db.trial.count({ where: { studyId: doomed.id, state: "RUNNING" } })) > 0,
    );
    await cancelStudy(db, doomedRef);
    await waitFor(
      "running trials to be aborted",
      async () =>
        (await db.trial.count({ where: { studyId: doomed.id, state: { in: ["RUNNING", "WAITING"] } } })) ===
        0,
      10_000,
    );
    const after = await studyLedger(db, doomed.id);
    const count = after.total;
    expect(after.byState["FAIL"]).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await db.study.findUniqueOrThrow({ where: { id: doomed.id } })).state).toBe("CANCELLED");
    expect((await studyLedger(db, doomed.id)).total).toBe(count); // no trial created after cancel
    await stopRunners(pair);
  }, 90_000);
});
