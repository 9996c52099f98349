import type { Db } from "@hyperensemble/db";
import { type ParamValue, parseSearchSpace, validateParams } from "@hyperensemble/engine/search";
import { notifyStudy } from "./events.ts";
import { checkStudyGrowth } from "./limits.ts";
import { CANCELLED_TRIAL_REASON, CANCELLED_TRIAL_REASONS } from "./outcome.ts";
import { fillQueue, isNumberClash, StudyInputError, type TrialEnqueuer, type TrialJob } from "./study.ts";

export interface StudyRef {
  orgId: string;
  studyId: string;
}

/** States in which a study takes more trials (a finished one runs again; a cancelled one does not). */
const TAKES_TRIALS = ["QUEUED", "RUNNING", "PAUSED", "COMPLETED", "FAILED"] as const;

export class StudyStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StudyStateError";
  }
}

async function isExternal(db: Db, ref: StudyRef): Promise<boolean> {
  const study = await db.study.findFirst({
    where: { id: ref.studyId, orgId: ref.orgId },
    select: { executor: true },
  });
  return study?.executor === "external";
}

/** Re-add jobs for every WAITING trial of a study (requeue semantics: a finished job is replaced). */
async function requeueWaiting(db: Db, requeuer: TrialEnqueuer, ref: StudyRef) {
  // An external study's WAITING trials wait for its workers' asks, never for a runner.
  if (await isExternal(db, ref)) return;
  const waiting = await db.trial.findMany({
    where: { orgId: ref.orgId, studyId: ref.studyId, state: "WAITING" },
    select: { id: true },
  });
  for (const t of waiting) {
    const job: TrialJob = { trialId: t.id, studyId: ref.studyId, orgId: ref.orgId };
    await requeuer.enqueue(job);
  }
}

async function transition(db: Db, ref: StudyRef, from: string[], to: string, extra: object = {}) {
  const res = await db.study.updateMany({
    where: { id: ref.studyId, orgId: ref.orgId, state: { in: from as never } },
    data: { state: to as never, ...extra },
  });
  if (res.count !== 1) {
    const s = await db.study.findFirst({
      where: { id: ref.studyId, orgId: ref.orgId },
      select: { state: true },
    });
    throw new StudyStateError(
      `study is ${s?.state ?? "missing"}: cannot move to ${to} (allowed from ${from.join(", ")})`,
    );
  }
}

/** No new trials start; running ones finish. WAITING trials stay WAITING (runners skip them). */
export async function pauseStudy(db: Db, ref: StudyRef) {
  await transition(db, ref, ["QUEUED", "RUNNING"], "PAUSED");
  await notifyStudy(db, { ...ref, kind: "study" });
}

export async function resumeStudy(db: Db, enqueuer: TrialEnqueuer, requeuer: TrialEnqueuer, ref: StudyRef) {
  await transition(db, ref, ["PAUSED"], "RUNNING");
  await requeueWaiting(db, requeuer, ref);
  await fillQueue(db, enqueuer, ref);
  await notifyStudy(db, { ...ref, kind: "study" });
}

/** Stop for good: WAITING trials fail as cancelled; runners abort RUNNING ones (control channel). */
export async function cancelStudy(db: Db, ref: StudyRef, now: Date = new Date()) {
  await db.$transaction(async (tx) => {
    const res = await tx.study.updateMany({
      where: { id: ref.studyId, orgId: ref.orgId, state: { in: ["DRAFT", "QUEUED", "RUNNING", "PAUSED"] } },
      data: { state: "CANCELLED", finishedAt: now },
    });
    if (res.count !== 1) throw new StudyStateError("study is already finished: cannot cancel");
    await tx.trial.updateMany({
      where: { orgId: ref.orgId, studyId: ref.studyId, state: "WAITING" },
      data: { state: "FAIL", error: CANCELLED_TRIAL_REASON, finishedAt: now },
    });
  });
  await notifyStudy(db, { ...ref, kind: "study" });
}

/** Raise the trial budget (within the organisation's limits); a COMPLETED or FAILED study runs again. */
export async function addTrials(db: Db, enqueuer: TrialEnqueuer, ref: StudyRef, count: number) {
  await checkStudyGrowth(db, ref, count, "count");
  const res = await db.study.updateMany({
    where: { id: ref.studyId, orgId: ref.orgId, state: { in: [...TAKES_TRIALS] } },
    data: { maxTrials: { increment: count } },
  });
  if (res.count !== 1)
    throw new StudyStateError("only a queued, running, paused, completed or failed study takes more trials");
  await db.study.updateMany({
    where: { id: ref.studyId, orgId: ref.orgId, state: { in: ["COMPLETED", "FAILED"] } },
    data: { state: "RUNNING", finishedAt: null },
  });
  await fillQueue(db, enqueuer, ref);
}

/**
 * Failed trials go back to WAITING as a fresh attempt (with a fresh retry allowance); trials that
 * Cancel stopped are not failures and stay as they are.
 */
export async function rerunFailedTrials(db: Db, requeuer: TrialEnqueuer, ref: StudyRef) {
  const failed = await db.trial.findMany({
    where: {
      orgId: ref.orgId,
      studyId: ref.studyId,
      state: "FAIL",
      OR: [{ error: null }, { error: { notIn: [...CANCELLED_TRIAL_REASONS] } }],
    },
    select: { id: true, attempt: true },
  });
  if (failed.length === 0) return 0;
  const study = await db.study.findFirst({
    where: { id: ref.studyId, orgId: ref.orgId },
    select: { state: true },
  });
  if (!study || study.state === "CANCELLED")
    throw new StudyStateError("a cancelled study cannot rerun trials");
  for (const t of failed) {
    await db.trial.updateMany({
      where: { id: t.id, orgId: ref.orgId, state: "FAIL", attempt: t.attempt },
      data: {
        state: "WAITING",
        attempt: t.attempt + 1,
        maxAttempts: t.attempt + 3,
        error: null,
        finishedAt: null,
        queuedAt: new Date(),
      },
    });
  }
  await db.study.updateMany({
    where: { id: ref.studyId, orgId: ref.orgId, state: { in: ["COMPLETED", "FAILED"] } },
    data: { state: "RUNNING", finishedAt: null },
  });
  await requeueWaiting(db, requeuer, ref);
  await notifyStudy(db, { ...ref, kind: "study" });
  return failed.length;
}

/**
 * Enqueue given configurations (a user's own points, Optuna's enqueue_trial): each becomes a WAITING
 * trial at once, run before the sampler's next proposals, on top of the budget (maxTrials grows
 * by their number), numbered under the same lock as every fill. A configuration the study already has
 * (as a trial, or earlier in the same call) is skipped. Returns the new trials' ids.
 */
export async function enqueueConfigurations(
  db: Db,
  enqueuer: TrialEnqueuer,
  ref: StudyRef,
  configurations: Record<string, ParamValue>[],
  now: Date = new Date(),
): Promise<string[]> {
  if (configurations.length === 0) return [];
  const study = await db.study.findFirst({
    where: { id: ref.studyId, orgId: ref.orgId },
    select: { searchSpace: true, state: true, executor: true },
  });
  if (!study) throw new StudyStateError("study is missing");
  if (!(TAKES_TRIALS as readonly string[]).includes(study.state))
    throw new StudyStateError(`study is ${study.state}: it takes no configurations`);
  // Invalid points are rejected whole, with the parameter named, before anything is stored.
  const space = parseSearchSpace(study.searchSpace);
  configurations.forEach((params, i) => {
    const problem = validateParams(space, params)[0];
    if (problem) {
      const at = problem.indexOf(": ");
      throw new StudyInputError(`configurations.${i}.${problem.slice(0, at)}`, problem.slice(at + 2));
    }
  });
  await checkStudyGrowth(db, ref, configurations.length, "configurations");
  const insert = () =>
    db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`dispatch:${ref.orgId}:${ref.studyId}`}))`;
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`dispatch:${ref.orgId}`}))`;
      const existing = await tx.trial.findMany({
        where: { orgId: ref.orgId, studyId: ref.studyId },
        select: { params: true },
      });
      const seen = new Set(existing.map((t) => configurationKey(t.params as Record<string, ParamValue>)));
      let number = existing.length;
      const created: string[] = [];
      for (const params of configurations) {
        const key = configurationKey(params);
        if (seen.has(key)) continue;
        seen.add(key);
        const trial = await tx.trial.create({
          data: { orgId: ref.orgId, studyId: ref.studyId, number: number++, params, queuedAt: now },
        });
        created.push(trial.id);
      }
      if (created.length === 0) return created;
      await tx.study.updateMany({
        where: { id: ref.studyId, orgId: ref.orgId },
        data: { maxTrials: { increment: created.length } },
      });
      await tx.study.updateMany({
        where: { id: ref.studyId, orgId: ref.orgId, state: { in: ["COMPLETED", "FAILED"] } },
        data: { state: "RUNNING", finishedAt: null },
      });
      return created;
    });
  let ids: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      ids = await insert();
      break;
    } catch (error) {
      // A decentralized runner's lock-free admission took the same number first: count again.
      if (!isNumberClash(error) || attempt >= 5) throw error;
    }
  }
  if (ids.length === 0) return ids;
  if (study.state !== "PAUSED" && study.executor !== "external") {
    // Queued at once; while they wait they fill the study's parallelism, so the sampler proposes
    // nothing new before they run. An external study's workers ask for them instead.
    for (const trialId of ids) await enqueuer.enqueue({ trialId, studyId: ref.studyId, orgId: ref.orgId });
  }
  await notifyStudy(db, { ...ref, kind: "study" });
  return ids;
}

/** One configuration's identity: its values by name, independent of key order. */
function configurationKey(params: Readonly<Record<string, ParamValue>>): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}
