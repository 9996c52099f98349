import type { Db } from "@hyperensemble/db";
import { createTestDatabase } from "@hyperensemble/db/testing";
import { buildClosureTask } from "@hyperensemble/engine";
import { physicsFieldsSchema } from "@hyperensemble/engine/physics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "./demo.ts";
import { predictionsFor, referenceLosses } from "./external.test-helpers.ts";
import {
  askTrial,
  ExternalTrialError,
  heartbeatLease,
  reapLapsedLeases,
  reportExternal,
  tellTrial,
} from "./external.ts";
import { ExternalInputError, studyPoints } from "./externalScore.ts";
import { createStudyInputSchema } from "./schema.ts";
import { PostgresTrialStorage } from "./storage.ts";
import { createStudy, requeueWaitingTrials, type TrialJob } from "./study.ts";
import { parseStudyRow, StudyRowError } from "./studyRow.ts";

let db: Db;
let drop: () => Promise<void>;
let orgId: string;
let ownerId: string;
const jobs: TrialJob[] = [];
const enqueuer = { enqueue: async (j: TrialJob) => void jobs.push(j) };

beforeAll(async () => {
  const t = await createTestDatabase();
  db = t.db;
  drop = t.drop;
  const { org, user } = await seedDemo(db, { email: "x@test.local", name: "X", password: "pw-123456" });
  orgId = org.id;
  ownerId = user.id;
});
afterAll(async () => drop());

const T0 = new Date("2026-12-03T12:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

async function externalStudy(over: object = {}) {
  const spec = createStudyInputSchema.parse({
    name: "external",
    executor: "external",
    task: { kind: "closure", level: 0 },
    replicas: 3,
    folds: 2,
    trials: 4,
    parallelism: 2,
    seed: 11,
    scheduler: "asha",
    ...over,
  });
  const study = await createStudy(db, enqueuer, { orgId, ownerId, spec, now: T0 });
  return { orgId, studyId: study.id, seed: study.seed };
}

const close = (got: number, want: number) => {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
};

describe("external trials", () => {
  it("end to end: ask, report, prune, tell predictions; the platform's L1 and φ² equal a float64 reference", async () => {
    const ref = await externalStudy();
    const a = await askTrial(db, ref, { worker: "w1", now: at(0) });
    const b = await askTrial(db, ref, { worker: "w2", now: at(1) });
    if (!a.trial || !b.trial) throw new Error("expected two trials");
    expect([a.trial.number, b.trial.number]).toEqual([0, 1]);
    expect(a.trial.ensemble).toMatchObject({ replicas: 3, folds: 2, maxEpochs: 400 });
    expect(a.trial.task).toEqual({ kind: "closure", level: 0 });
    expect(a.trial.lease.expiresAt).toBe(at(300).toISOString());
    expect(await askTrial(db, ref, { now: at(2) })).toEqual({ trial: null, reason: "all-leased" });
    expect(jobs).toEqual([]); // never on the queue

    // ASHA (grace 1, eta 4): the worse trial at the first rung is told to stop.
    expect(
      await reportExternal(
        db,
        { orgId, trialId: a.trial.id },
        { leaseId: a.trial.lease.id, step: 1, value: 2 },
        at(3),
      ),
    ).toEqual({ prune: false });
    expect(
      await reportExternal(
        db,
        { orgId, trialId: b.trial.id },
        { leaseId: b.trial.lease.id, step: 1, value: 50 },
        at(4),
      ),
    ).toEqual({ prune: true });
    await tellTrial(
      db,
      { orgId, trialId: b.trial.id },
      { leaseId: b.trial.lease.id, state: "PRUNED" },
      at(5),
    );

    const study = parseStudyRow(await db.study.findFirstOrThrow({ where: { id: ref.studyId, orgId } }));
    const points = await studyPoints(db, study, a.trial);
    expect(points.folds).toHaveLength(2);
    const predictions = predictionsFor(points.central, points.errors, 3, 2, 99);
    await tellTrial(
      db,
      { orgId, trialId: a.trial.id },
      { leaseId: a.trial.lease.id, state: "COMPLETE", predictions: { folds: predictions } },
      at(6),
    );

    // The reference: the closure data and covariance as the study defines them, dense, in float64.
    const ds = buildClosureTask(0, study.seed).dataset;
    const reference = referenceLosses((i, j) => ds.cov.entry(i, j), points, predictions);
    const { L1, phi2 } = reference;
    const result = await db.trialResult.findFirstOrThrow({ where: { orgId, trialId: a.trial.id } });
    close(result.L1, L1);
    close(result.phi2, phi2);
    close(result.value, L1);
    for (const [k, v] of result.foldChi2.entries()) close(v, reference.foldChi2[k]!);
    expect(result.backend).toBe("external");
    // Told as predictions, the trial has the physics views' per-sub-dataset χ²/N too.
    const physics = physicsFieldsSchema.parse(result.predictions);
    expect(physics.subsetChi2?.map((r) => r.name)).toEqual(ds.subsets.map((s) => s.name));
    const states = (await new PostgresTrialStorage(db, orgId).listTrials(ref.studyId)).map((t) => [
      t.number,
      t.state,
    ]);
    expect(states).toEqual([
      [0, "COMPLETE"],
      [1, "PRUNED"],
    ]);
  });

  it("a killed worker's lease lapses: the trial is asked again exactly once and the old lease can no longer write", async () => {
    const ref = await externalStudy({ parallelism: 1, trials: 3 });
    const first = await askTrial(db, ref, { leaseSeconds: 10, worker: "killed", now: at(0) });
    if (!first.trial) throw new Error("expected a trial");
    // Heartbeats keep it: each extends the lease by its own length.
    expect(await heartbeatLease(db, { orgId, trialId: first.trial.id }, first.trial.lease.id, at(8))).toEqual(
      {
        expiresAt: at(18).toISOString(),
      },
    );
    expect(await askTrial(db, ref, { now: at(12) })).toEqual({ trial: null, reason: "all-leased" });
    // The worker dies: no heartbeat after t = 8 s. At 18 s its lease has lapsed; the runners' reaper
    // returns it to the pool, and never to the runners' queue.
    expect(await reapLapsedLeases(db, at(18.5))).toMatchObject([{ id: first.trial.id, state: "WAITING" }]);
    expect(await requeueWaitingTrials(db, enqueuer, 0, at(19))).toBe(0);
    expect(jobs).toEqual([]);
    const again = await askTrial(db, ref, { leaseSeconds: 60, worker: "second", now: at(19) });
    if (!again.trial) throw new Error("expected the lapsed trial again");
    expect([again.trial.id, again.trial.number]).toEqual([first.trial.id, 0]);
    expect(again.trial.params).toEqual(first.trial.params);
    expect(again.trial.lease.id).not.toBe(first.trial.lease.id);
    const row = await db.trial.findFirstOrThrow({ where: { orgId, id: first.trial.id } });
    expect([row.attempt, row.worker]).toEqual([2, "second"]);
    // Once only: parallelism 1 is held by the second worker now.
    expect(await askTrial(db, ref, { now: at(20) })).toEqual({ trial: null, reason: "all-leased" });
    const old = { orgId, trialId: first.trial.id };
    await expect(heartbeatLease(db, old, first.trial.lease.id, at(21))).rejects.toThrow("stale lease");
    await expect(
      reportExternal(db, old, { leaseId: first.trial.lease.id, step: 1, value: 1 }, at(21)),
    ).rejects.toThrow("stale lease");
    await expect(
      tellTrial(db, old, { leaseId: first.trial.lease.id, state: "COMPLETE", values: [1] }, at(21)),
    ).rejects.toThrow("stale lease");
    await tellTrial(db, old, { leaseId: again.trial.lease.id, state: "COMPLETE", values: [0.5] }, at(22));
    const next = await askTrial(db, ref, { now: at(23) });
    expect(next.trial?.number).toBe(1);
    expect(await reapLapsedLeases(db, at(23))).toEqual([]);
  });

  it("a repeated identical tell is idempotent; a different one or an unknown lease is refused", async () => {
    const ref = await externalStudy({ trials: 1, parallelism: 1 });
    const asked = await askTrial(db, ref, { now: at(0) });
    if (!asked.trial) throw new Error("expected a trial");
    const trial = { orgId, trialId: asked.trial.id };
    const tell = { leaseId: asked.trial.lease.id, state: "COMPLETE" as const, values: [1.5] };
    expect(await tellTrial(db, trial, tell, at(1))).toEqual({ trialId: asked.trial.id, repeated: false });
    expect(await tellTrial(db, trial, { ...tell }, at(2))).toEqual({
      trialId: asked.trial.id,
      repeated: true,
    });
    await expect(tellTrial(db, trial, { ...tell, values: [2] }, at(3))).rejects.toThrow(ExternalTrialError);
    await expect(tellTrial(db, trial, { ...tell, leaseId: "not-a-lease" }, at(3))).rejects.toThrow(
      "stale lease",
    );
    const history = await new PostgresTrialStorage(db, orgId).listTrials(ref.studyId);
    expect(history.map((t) => [t.state, t.value])).toEqual([["COMPLETE", 1.5]]);
    // The budget is spent and nothing is leased: the study completes.
    expect(await askTrial(db, ref, { now: at(4) })).toEqual({ trial: null, reason: "complete" });
    expect((await db.study.findFirstOrThrow({ where: { id: ref.studyId, orgId } })).state).toBe("COMPLETED");
  });

  it("a tell that does not fit the study names the field and changes nothing", async () => {
    const ref = await externalStudy({ trials: 1, parallelism: 1 });
    const asked = await askTrial(db, ref, { now: at(0) });
    if (!asked.trial) throw new Error("expected a trial");
    const trial = { orgId, trialId: asked.trial.id };
    const leaseId = asked.trial.lease.id;
    await expect(
      tellTrial(
        db,
        trial,
        { leaseId, state: "COMPLETE", predictions: { folds: [{ replicas: [[1]] }] } },
        at(1),
      ),
    ).rejects.toThrow(new ExternalInputError("predictions.folds", "has 1 entries, the study has 2 folds"));
    await expect(
      tellTrial(
        db,
        trial,
        { leaseId, state: "COMPLETE", predictions: { folds: [{ replicas: [[1]] }, { replicas: [[1]] }] } },
        at(1),
      ),
    ).rejects.toThrow(/predictions\.folds\.0\.replicas: has 1 entries, the study has 3 replicas/);
    await expect(tellTrial(db, trial, { leaseId, state: "COMPLETE" }, at(1))).rejects.toThrow(/^values: /);
    expect((await db.trial.findFirstOrThrow({ where: { orgId, id: asked.trial.id } })).state).toBe("RUNNING");
    // A dataset with fewer sub-datasets than folds cannot be held out: named, not a server error.
    const study = parseStudyRow(await db.study.findFirstOrThrow({ where: { id: ref.studyId, orgId } }));
    await expect(
      studyPoints(db, { ...study, ensemble: { replicas: 3, folds: 9 } }, asked.trial),
    ).rejects.toThrow(/^folds: 9 folds need at least 9 sub-datasets/);
    // Another org's trial id is "not found", never its data.
    await expect(
      heartbeatLease(db, { orgId: "other-org", trialId: asked.trial.id }, leaseId, at(1)),
    ).rejects.toThrow("trial not found");
  });
  it("a study row that no longer parses stops the ask, the report and the tell, naming its column", async () => {
    const ref = await externalStudy({ trials: 2, parallelism: 2 });
    const asked = await askTrial(db, ref, { now: at(0) });
    if (!asked.trial) throw new Error("expected a trial");
    const where = { id: ref.studyId, orgId };
    // As a hand edit or an older version might leave it: no replicas, an option ASHA does not take.
    await db.study.update({ where, data: { ensemble: { folds: 2 }, schedulerOptions: { grace: 1 } } });
    const bad = (err: unknown) =>
      err instanceof StudyRowError &&
      err.issues.some((i) => i.path === "ensemble.replicas") &&
      err.issues.some((i) => i.path === "schedulerOptions");
    await expect(askTrial(db, ref, { now: at(1) }).catch((e) => bad(e))).resolves.toBe(true);
    const trial = { orgId, trialId: asked.trial.id };
    const leaseId = asked.trial.lease.id;
    await expect(reportExternal(db, trial, { leaseId, step: 1, value: 1 }, at(1)).catch(bad)).resolves.toBe(
      true,
    );
    await expect(
      tellTrial(db, trial, { leaseId, state: "COMPLETE", values: [1] }, at(1)).catch(bad),
    ).resolves.toBe(true);
    // Nothing travelled: no second trial was claimed and the first is still running, unscored.
    const trials = await db.trial.findMany({ where: { orgId, studyId: ref.studyId } });
    expect(trials.map((t) => [t.number, t.state])).toEqual([[0, "RUNNING"]]);
  });
});
