// Fairness between organisations and the decentralized search mode, with in-process runners (the
// real trial processor on synthetic trials) on real Postgres and BullMQ/Redis.
import type { StoredTrial } from "@hyperensemble/engine/search";
import {
  admitProposal,
  decentralizedProposal,
  enqueueConfigurations,
  fillQueue,
  readProposalHistory,
} from "@hyperensemble/platform";
import type { TrialQueue } from "@hyperensemble/queue";
import { describe, expect, it } from "vitest";
import {
  queueEnqueuer,
  seedOrg,
  seedStudy,
  studyLedger,
  waitFor,
  waitForStudyCompleted,
} from "./fleet.test-helpers.ts";
import { inProcessRunners } from "./in-process.test-helpers.ts";

const h = inProcessRunners("modes", { maxConnections: 8, closeTimeoutMs: 180_000 });
const freshQueue = () => h.freshQueue();

/** An in-process runner slot: the runner's own trial processor on synthetic trials. */
const inProcessRunner = (name: string, queue: TrialQueue, workerId: string, trialMs: number) =>
  h.runner(name, queue, { workerId, heartbeatMs: 1_000, syntheticTrialMs: trialMs });

describe("fairness between organisations", () => {
  it("a 10,000-trial study of org A does not starve org B (admission limit + rank priority)", async () => {
    process.env["HENS_ORG_MAX_ACTIVE_TRIALS"] = "100";
    try {
      const db = h.database.db;
      const { name, queue } = freshQueue();
      const a = await seedOrg(db);
      const b = await seedOrg(db);
      const studyA = await seedStudy(db, a.org.id, a.user.id, { trials: 10_000, parallelism: 10_000 });
      const filled = await fillQueue(db, queueEnqueuer(queue), { orgId: a.org.id, studyId: studyA.id });
      // Admission: org A holds at most 100 WAITING/RUNNING trials, not 10,000.
      expect(filled).toMatchObject({ created: 100, admissionLimited: true });
      for (let i = 0; i < 4; i++) inProcessRunner(name, queue, `fair-${i}`, 5);
      const completedA = () => db.trial.count({ where: { studyId: studyA.id, state: "COMPLETE" } });
      await waitFor("org A to be under way", async () => (await completedA()) >= 20, 60_000, 50);

      const studyB = await seedStudy(db, b.org.id, b.user.id, { trials: 10, parallelism: 10 });
      await fillQueue(db, queueEnqueuer(queue), { orgId: b.org.id, studyId: studyB.id });
      const aAtSubmit = await completedA();
      let maxActiveA = 0;
      await waitFor(
        "org B's study to complete",
        async () => {
          const activeA = await db.trial.count({
            where: { orgId: a.org.id, state: { in: ["WAITING", "RUNNING"] } },
          });
          maxActiveA = Math.max(maxActiveA, activeA);
          return (await db.study.findUniqueOrThrow({ where: { id: studyB.id } })).state === "COMPLETED";
        },
        60_000,
        50,
      );
      const aDuringB = (await completedA()) - aAtSubmit;
      // FIFO would have run org A's ~100 queued trials first; B's rank priorities put its 10 trials
      // ahead of A's backlog, so only A's trials already running (4 slots) and a few more slip in.
      expect(aDuringB).toBeLessThan(40);
      expect(maxActiveA).toBeLessThanOrEqual(100);
      expect(await studyLedger(db, studyB.id)).toMatchObject({ total: 10, byState: { COMPLETE: 10 } });
    } finally {
      delete process.env["HENS_ORG_MAX_ACTIVE_TRIALS"];
    }
  }, 120_000);
});

describe("decentralized mode", () => {
  it("each runner proposes its own next trial from the shared history (its own UCB kappa)", async () => {
    const db = h.database.db;
    const { name, queue } = freshQueue();
    const { org, user } = await seedOrg(db);
    const study = await seedStudy(db, org.id, user.id, {
      trials: 16,
      parallelism: 1,
      mode: "decentralized",
      seed: 11,
    });
    const ref = { orgId: org.id, studyId: study.id };
    await fillQueue(db, queueEnqueuer(queue), ref);
    inProcessRunner(name, queue, "worker-a", 5);
    await waitForStudyCompleted(db, study.id, 60_000, 100);
    expect(await studyLedger(db, study.id)).toMatchObject({
      total: 16,
      byState: { COMPLETE: 16 },
      uniqueNumbers: 16,
    });

    // Replay: trial k+1 is exactly what worker-a's DBO sampler proposes from the history it read
    // while trial k ran (trial k pending). Past the 10 start-up trials the surrogate is in charge,
    // and another worker (another kappa) would have proposed something else.
    const full = await readProposalHistory(db, ref);
    const trials = full!.trials;
    const snapshot = (k: number): StoredTrial[] =>
      trials
        .slice(0, k + 1)
        .map((t) => (t.number === k ? { number: k, params: t.params, state: "RUNNING" } : t));
    let differsForOtherWorker = 0;
    for (let k = 11; k < 15; k++) {
      const history = { ...full!, trials: snapshot(k) };
      const mine = decentralizedProposal(history, "worker-a", `replay-${study.id}`);
      // jsonb round trips may move the last digit of a float.
      const stored = trials[k + 1]!.params;
      expect(Object.keys(stored).sort()).toEqual(Object.keys(mine.params).sort());
      for (const [key, value] of Object.entries(mine.params)) {
        if (typeof value === "number") expect(stored[key]).toBeCloseTo(value, 12);
        else expect(stored[key]).toBe(value);
      }
      const other = decentralizedProposal(history, "worker-b", `replay-${study.id}`);
      if (JSON.stringify(other.params) !== JSON.stringify(mine.params)) differsForOtherWorker++;
      expect(other.kappa).not.toBe(mine.kappa);
    }
    expect(differsForOtherWorker).toBeGreaterThan(0);
  }, 90_000);

  it("three runners on one decentralized study: the budget is met exactly, numbers unique", async () => {
    const db = h.database.db;
    const { name, queue } = freshQueue();
    const { org, user } = await seedOrg(db);
    const study = await seedStudy(db, org.id, user.id, {
      trials: 30,
      parallelism: 3,
      mode: "decentralized",
      seed: 5,
    });
    await fillQueue(db, queueEnqueuer(queue), { orgId: org.id, studyId: study.id });
    for (const w of ["w0", "w1", "w2"]) inProcessRunner(name, queue, w, 20);
    await waitForStudyCompleted(db, study.id, 90_000, 100);
    expect(await studyLedger(db, study.id)).toMatchObject({
      total: 30,
      byState: { COMPLETE: 30 },
      uniqueNumbers: 30,
      maxNumber: 29,
      duplicatedIntermediate: 0,
    });
  }, 120_000);

  it("lock-free admission: 24 racing proposals for 10 slots admit exactly 10, numbers 0..9", async () => {
    const db = h.database.db;
    const { org, user } = await seedOrg(db);
    const study = await seedStudy(db, org.id, user.id, {
      trials: 10,
      parallelism: 50,
      mode: "decentralized",
    });
    const ref = { orgId: org.id, studyId: study.id };
    const ids = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        admitProposal(db, ref, { learning_rate: 0.001 * (i + 1), units_1: 8, activation: "tanh" }),
      ),
    );
    expect(ids.filter(Boolean)).toHaveLength(10);
    const numbers = (await db.trial.findMany({ where: { studyId: study.id }, select: { number: true } }))
      .map((t) => t.number)
      .sort((a, b) => a - b);
    expect(numbers).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe("given configurations", () => {
  it("are enqueued on top of the budget and run as given; a bad one stores nothing", async () => {
    const db = h.database.db;
    const { name, queue } = freshQueue();
    const { org, user } = await seedOrg(db);
    const study = await seedStudy(db, org.id, user.id, { trials: 2, parallelism: 2 });
    const ref = { orgId: org.id, studyId: study.id };
    await expect(
      enqueueConfigurations(db, queueEnqueuer(queue), ref, [
        { learning_rate: 0.01, units_1: 8, activation: "tanh" },
        { learning_rate: 0.01, units_1: 8, activation: "softmax" },
      ]),
    ).rejects.toThrow(/configurations\.1\.activation: /);
    expect(await db.trial.count({ where: { studyId: study.id } })).toBe(0);
    await fillQueue(db, queueEnqueuer(queue), ref);
    const given = [
      { learning_rate: 0.001, units_1: 16, activation: "relu" },
      { learning_rate: 0.05, units_1: 32, activation: "tanh" },
    ];
    const ids = await enqueueConfigurations(db, queueEnqueuer(queue), ref, given);
    expect(ids).toHaveLength(2);
    inProcessRunner(name, queue, "given", 5);
    await waitForStudyCompleted(db, study.id, 60_000, 100);
    expect(await studyLedger(db, study.id)).toMatchObject({
      total: 4,
      byState: { COMPLETE: 4 },
      uniqueNumbers: 4,
    });
    const rows = await db.trial.findMany({ where: { id: { in: ids } }, orderBy: { number: "asc" } });
    expect(rows.map((r) => r.params)).toEqual(given);
  });
});
