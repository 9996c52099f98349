import type { Db } from "@hyperensemble/db";
import { createTestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelStudy, pauseStudy, rerunFailedTrials, resumeStudy, StudyStateError } from "./control.ts";
import { seedDemo } from "./demo.ts";
import { isCancelledTrial } from "./outcome.ts";
import { createStudyInputSchema, fieldErrors } from "./schema.ts";
import { createStudy, fillQueue, requeueWaitingTrials, StudyInputError, type TrialJob } from "./study.ts";
import { fillActiveStudies } from "./sweep.ts";

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
  const { org, user } = await seedDemo(db, {
    email: "owner@test.local",
    name: "Owner",
    password: "pw-123456",
  });
  orgId = org.id;
  ownerId = user.id;
});
afterAll(async () => drop());

const spec = (over: object = {}) =>
  createStudyInputSchema.parse({ name: "s", replicas: 4, trials: 6, parallelism: 2, seed: 7, ...over });

describe("study creation input", () => {
  it("names the field for missing, out-of-range and non-numeric values", () => {
    const bad = createStudyInputSchema.safeParse({ replicas: 0, trials: "x" });
    expect(bad.success).toBe(false);
    if (bad.success) return;
    expect(fieldErrors(bad.error)).toMatchObject({
      name: "name is required",
      replicas: "replicas must be at least 1",
      trials: "trials must be a number",
    });
    const big = createStudyInputSchema.safeParse({ name: "x", replicas: 100000, trials: 1 });
    expect(big.success || fieldErrors(big.error).replicas).toBe("replicas must be at most 2000");
  });

  it("a bad search space stores nothing", async () => {
    const before = await db.study.count({ where: { orgId } });
    await expect(
      createStudy(db, enqueuer, {
        orgId,
        ownerId,
        spec: spec({ searchSpace: { lr: { type: "float", low: 1, high: 0.1 } } }),
      }),
    ).rejects.toThrow(/lr/);
    expect(await db.study.count({ where: { orgId } })).toBe(before);
  });
});

describe("fillQueue", () => {
  it("a failed first fill does not fail creation (no duplicate on retry); the sweeps dispatch it", async () => {
    const down = { enqueue: async () => Promise.reject(new Error("queue unavailable")) };
    const study = await createStudy(db, down, { orgId, ownerId, spec: spec({ name: "deferred" }) });
    expect(await db.study.count({ where: { orgId, name: "deferred" } })).toBe(1);
    jobs.length = 0;
    // Trials committed but never enqueued: the orphan sweep re-adds them; the top-up sweep then has
    // nothing to add (the study is at its parallelism).
    await requeueWaitingTrials(db, enqueuer, 0, new Date(Date.now() + 1000));
    await fillActiveStudies(db, enqueuer, new Date());
    const waiting = await db.trial.findMany({ where: { orgId, studyId: study.id, state: "WAITING" } });
    expect(waiting.length).toBe(2);
    expect(new Set(jobs.map((j) => j.trialId))).toEqual(new Set(waiting.map((t) => t.id)));
  });

  it("keeps parallelism, never exceeds the budget and numbers trials uniquely under concurrent calls", async () => {
    jobs.length = 0;
    const study = await createStudy(db, enqueuer, { orgId, ownerId, spec: spec() });
    expect(jobs.length).toBe(2);
    // Many runners finishing at once: all call fillQueue concurrently after completing their trial.
    for (let round = 0; round < 4; round += 1) {
      await db.trial.updateMany({
        where: { orgId, studyId: study.id, state: "WAITING" },
        data: { state: "COMPLETE" },
      });
      await Promise.all(
        Array.from({ length: 6 }, () => fillQueue(db, enqueuer, { orgId, studyId: study.id })),
      );
    }
    const trials = await db.trial.findMany({
      where: { orgId, studyId: study.id },
      orderBy: { number: "asc" },
    });
    expect(trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(jobs.map((j) => j.trialId)).size).toBe(6);
    const s = await db.study.findFirstOrThrow({ where: { id: study.id, orgId } });
    expect(s.state).toBe("COMPLETED");
    // Proposals are reproducible from (seed, history): the same study again proposes the same params.
    const again = await createStudy(db, enqueuer, { orgId, ownerId, spec: spec() });
    const first = await db.trial.findFirstOrThrow({ where: { orgId, studyId: again.id, number: 0 } });
    expect(first.params).toEqual(trials[0]?.params);
  });

  it("pause stops new trials, resume refills, cancel fails the waiting ones", async () => {
    jobs.length = 0;
    const study = await createStudy(db, enqueuer, { orgId, ownerId, spec: spec() });
    const ref = { orgId, studyId: study.id };
    await pauseStudy(db, ref);
    await db.trial.updateMany({ where: { orgId, studyId: study.id }, data: { state: "COMPLETE" } });
    expect((await fillQueue(db, enqueuer, ref)).created).toBe(0);
    await expect(pauseStudy(db, ref)).rejects.toBeInstanceOf(StudyStateError);
    await resumeStudy(db, enqueuer, enqueuer, ref);
    expect(await db.trial.count({ where: { orgId, studyId: study.id, state: "WAITING" } })).toBe(2);
    await cancelStudy(db, ref);
    expect(await db.trial.count({ where: { orgId, studyId: study.id, state: "WAITING" } })).toBe(0);
    const s = await db.study.findFirstOrThrow({ where: { id: study.id, orgId } });
    expect(s.state).toBe("CANCELLED");
    expect((await fillQueue(db, enqueuer, ref)).created).toBe(0);
    // The trials Cancel stopped read as cancelled, not failed.
    const stopped = await db.trial.findMany({ where: { orgId, studyId: study.id, state: "FAIL" } });
    expect(stopped.length).toBe(2);
    expect(stopped.every((t) => isCancelledTrial(t.state, t.error))).toBe(true);
  });

  it("Rerun failed leaves the trials Cancel stopped alone", async () => {
    const study = await createStudy(db, enqueuer, { orgId, ownerId, spec: spec({ trials: 2 }) });
    const ref = { orgId, studyId: study.id };
    const [a, b] = await db.trial.findMany({
      where: { orgId, studyId: study.id },
      orderBy: { number: "asc" },
    });
    await db.trial.update({ where: { id: a!.id }, data: { state: "FAIL", error: "loss is NaN" } });
    await db.trial.update({ where: { id: b!.id }, data: { state: "FAIL", error: "cancelled" } });
    expect(await rerunFailedTrials(db, enqueuer, ref)).toBe(1);
    const after = await db.trial.findMany({
      where: { orgId, studyId: study.id },
      orderBy: { number: "asc" },
    });
    expect(after.map((t) => t.state)).toEqual(["WAITING", "FAIL"]);
  });

  it("refuses more folds than the task has sub-datasets, naming folds", async () => {
    const before = await db.study.count({ where: { orgId } });
    const err = await createStudy(db, enqueuer, { orgId, ownerId, spec: spec({ folds: 7 }) }).catch((e) => e);
    expect(err).toBeInstanceOf(StudyInputError);
    expect(err.field).toBe("folds");
    expect(err.message).toMatch(/closure task has 6/);
    const ds = await db.dataset.create({
      data: {
        orgId,
        name: "one-experiment",
        kind: "tabular",
        nPoints: 3,
        data: {},
        summary: { subsets: [{ name: "data", nPoints: 3 }] },
      },
    });
    const task = { kind: "dataset", datasetId: ds.id };
    const one = await createStudy(db, enqueuer, { orgId, ownerId, spec: spec({ task, folds: 2 }) }).catch(
      (e) => e,
    );
    expect(one).toBeInstanceOf(StudyInputError);
    expect(one.message).toMatch(/^folds: 2 folds need 2 sub-datasets to hold out; the dataset has 1/);
    expect(await db.study.count({ where: { orgId } })).toBe(before);
  });
});
