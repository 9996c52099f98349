// The runner's side of quotas and limits, with the real trial processor on synthetic trials over real
// Postgres and BullMQ/Redis: a trial past its wall-clock limit is stopped and fails for good with a
// readable reason; a failing result write leaves no database text in Trial.error.
import { fillQueue } from "@hyperensemble/platform";
import type { TrialQueue } from "@hyperensemble/queue";
import { describe, expect, it } from "vitest";
import { queueEnqueuer, seedOrg, seedStudy, waitFor } from "./fleet.test-helpers.ts";
import { inProcessRunners } from "./in-process.test-helpers.ts";
import { isInternalError, userFacingError } from "./trialErrors.ts";

const h = inProcessRunners("limits", { maxConnections: 6 });

/** A queue with one in-process runner slot on synthetic trials of `trialMs`. */
function runnerOn(trialMs: number): TrialQueue {
  const { name, queue } = h.freshQueue();
  h.runner(name, queue, { heartbeatMs: 500, syntheticTrialMs: trialMs });
  return queue;
}

async function firstTrialEnded(studyId: string, orgId: string) {
  return waitFor(
    "the first trial to end",
    async () => {
      const t = await h.database.db.trial.findFirst({ where: { orgId, studyId, number: 0 } });
      return t && t.state !== "WAITING" && t.state !== "RUNNING" ? t : undefined;
    },
    60_000,
  );
}

describe("per-trial wall-clock limit", () => {
  it("a trial past maxTrialSeconds is stopped, fails with a readable reason and is not retried", async () => {
    const { db } = h.database;
    const { org, user } = await seedOrg(db);
    const study = await seedStudy(db, org.id, user.id, { trials: 1, parallelism: 1 });
    await db.study.updateMany({ where: { id: study.id, orgId: org.id }, data: { maxTrialSeconds: 1 } });
    const queue = runnerOn(60_000); // a trial that would train for a minute
    const started = Date.now();
    await fillQueue(db, queueEnqueuer(queue), { orgId: org.id, studyId: study.id });
    const trial = await firstTrialEnded(study.id, org.id);
    expect(Date.now() - started).toBeLessThan(50_000); // stopped, not trained to the end
    expect(trial.state).toBe("FAIL");
    expect(trial.attempt).toBe(1);
    expect(trial.error).toBe(
      "time limit: the trial was still running after 1 s (maxTrialSeconds) and was stopped; it is not retried",
    );
  });
});

describe("user-facing trial errors", () => {
  it("a failing result write stores a generic reason with a reference, no SQL", async () => {
    const { db } = h.database;
    const { org, user } = await seedOrg(db);
    const study = await seedStudy(db, org.id, user.id, { trials: 1, parallelism: 1 });
    // A real failing write: this database refuses every result row of this study's organisation.
    await db.$executeRawUnsafe(
      `ALTER TABLE "TrialResult" ADD CONSTRAINT "refuse_${org.id}" CHECK ("orgId" <> '${org.id}')`,
    );
    const queue = runnerOn(50);
    await fillQueue(db, queueEnqueuer(queue), { orgId: org.id, studyId: study.id });
    const trial = await firstTrialEnded(study.id, org.id);
    expect(trial.state).toBe("FAIL");
    expect(trial.error).toMatch(
      /^internal error while saving the result; the operator's log has the details, ref [0-9a-f]{8}$/,
    );
    expect(trial.error).not.toMatch(/TrialResult|constraint|refuse_|SQL|prisma/i);
  });

  it("engine errors stay readable; database errors are recognised by code, name or text", () => {
    const engine = new Error("params.units_1: must be at most 4096");
    expect(isInternalError(engine)).toBe(false);
    expect(userFacingError(engine, { trialId: "t", saving: false })).toBe(engine.message);
    const pg = Object.assign(new Error("value too long"), { code: "22001" });
    const prisma = Object.assign(new Error("Unique constraint failed"), { code: "P2002" });
    const text = new Error(
      'null value in column "L3" of relation "TrialResult" violates not-null constraint',
    );
    const logged: string[] = [];
    for (const err of [pg, prisma, text]) {
      expect(isInternalError(err)).toBe(true);
      expect(userFacingError(err, { trialId: "t", saving: false, log: (l) => logged.push(l) })).toMatch(
        /^internal error while running the trial; the operator's log has the details, ref [0-9a-f]{8}$/,
      );
    }
    expect(logged[2]).toContain('relation "TrialResult"');
  });
});
