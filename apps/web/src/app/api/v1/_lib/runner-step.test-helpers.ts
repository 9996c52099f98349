// A simulated runner for client tests (CLI, packed CLI, Python): no engine, just the state changes a
// runner writes, so clients see trials finish and the platform's fillQueue schedule the next ones.
import type { Db } from "@hyperensemble/db";
import { fillQueue, type TrialEnqueuer } from "@hyperensemble/platform";

/** One runner step: every WAITING trial runs and completes, then the queue is refilled. */
export async function completeWaitingTrials(db: Db, enqueuer: TrialEnqueuer, orgId: string, studyId: string) {
  const waiting = await db.trial.findMany({ where: { orgId, studyId, state: "WAITING" } });
  for (const trial of waiting) {
    const start = new Date();
    const value = 1 + trial.number / 10;
    await db.trial.updateMany({
      where: { id: trial.id, orgId, state: "WAITING" },
      data: { state: "COMPLETE", startedAt: start, finishedAt: new Date(start.getTime() + 1500) },
    });
    await db.trialResult.create({
      data: {
        trialId: trial.id,
        orgId,
        value,
        L1: value,
        L2: value,
        L3: value,
        phi2: 0.2,
        epochs: 10,
        backend: "cpu",
        durationSeconds: 1.5,
      },
    });
  }
  await fillQueue(db, enqueuer, { orgId, studyId });
}
