import type { Db } from "@hyperensemble/db";
import { demoSearchSpace } from "@hyperensemble/engine";
import { createSampler, parseSearchSpace, type StoredTrial } from "@hyperensemble/engine/search";
import { notifyStudy } from "./events.ts";
import type { CreateStudySpec } from "./schema.ts";

export interface TrialJob {
  trialId: string;
  studyId: string;
  orgId: string;
}

/** Where new trials go: the BullMQ trial queue in production, anything with the same shape in tests. */
export interface TrialEnqueuer {
  enqueue(job: TrialJob): Promise<void>;
}

const ACTIVE_STUDY_STATES = ["QUEUED", "RUNNING"] as const;
const REPORTS_PER_TRIAL = 20;

export async function createStudy(
  db: Db,
  enqueuer: TrialEnqueuer,
  args: { orgId: string; ownerId: string; spec: CreateStudySpec; now?: Date },
) {
  const { orgId, ownerId, spec } = args;
  // Parse the space before anything is written: a bad space stores nothing.
  const searchSpace = parseSearchSpace(spec.searchSpace ?? demoSearchSpace);
  const seed = spec.seed ?? Math.floor((args.now ?? new Date()).getTime() % 2_147_483_647);
  const study = await db.study.create({
    data: {
      orgId,
      ownerId,
      name: spec.name,
      state: "QUEUED",
      task: spec.task,
      searchSpace: searchSpace as object,
      ensemble: { replicas: spec.replicas, folds: spec.folds },
      training: {
        maxEpochs: spec.maxEpochs,
        reportEvery: Math.max(1, Math.floor(spec.maxEpochs / REPORTS_PER_TRIAL)),
      },
      objective: spec.objective,
      sampler: spec.sampler,
      scheduler: spec.scheduler,
      seed,
      maxTrials: spec.trials,
      parallelism: spec.parallelism,
    },
  });
  await fillQueue(db, enqueuer, { orgId, studyId: study.id });
  return study;
}

function toStoredTrial(t: {
  number: number;
  params: unknown;
  state: StoredTrial["state"];
  result: { value: number } | null;
}): StoredTrial {
  const stored: StoredTrial = { number: t.number, params: t.params as StoredTrial["params"], state: t.state };
  if (t.result) stored.value = t.result.value;
  return stored;
}

/**
 * Keep the study's queue filled to its parallelism, and complete it when its budget is spent.
 * Serialised per study by a transaction-scoped advisory lock, so any number of runners and web
 * processes may call it concurrently after each trial: trial numbers stay unique and the trial
 * budget is never exceeded. Jobs are enqueued after commit (jobId = trial id, so a repeat is a no-op).
 */
export async function fillQueue(
  db: Db,
  enqueuer: TrialEnqueuer,
  ref: { orgId: string; studyId: string },
  now: Date = new Date(),
): Promise<{ created: number; completed: boolean }> {
  const { orgId, studyId } = ref;
  const outcome = await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${studyId}))`;
    const study = await tx.study.findFirst({ where: { id: studyId, orgId } });
    if (!study || !(ACTIVE_STUDY_STATES as readonly string[]).includes(study.state)) {
      return { created: [] as { id: string }[], completed: false };
    }
    const trials = await tx.trial.findMany({
      where: { orgId, studyId },
      include: { result: { select: { value: true } } },
      orderBy: { number: "asc" },
    });
    const history = trials.map(toStoredTrial);
    const pending = trials.filter((t) => t.state === "WAITING" || t.state === "RUNNING").length;
    const wallExpired =
      study.maxWallSeconds != null &&
      study.startedAt != null &&
      now.getTime() - study.startedAt.getTime() > study.maxWallSeconds * 1000;
    const gpuExpired = study.maxGpuSeconds != null && study.gpuSeconds >= study.maxGpuSeconds;
    const space = parseSearchSpace(study.searchSpace);
    const created: { id: string }[] = [];
    let total = trials.length;
    while (
      !wallExpired &&
      !gpuExpired &&
      pending + created.length < study.parallelism &&
      total < study.maxTrials
    ) {
      // Seeded per trial number: proposals are reproducible from (study seed, history).
      const sampler = createSampler({
        name: study.sampler as "random",
        seed: (study.seed + total * 7_919) >>> 0,
      });
      const params = sampler.ask(space, history);
      const trial = await tx.trial.create({ data: { orgId, studyId, number: total, params } });
      history.push({ number: total, params, state: "WAITING" });
      created.push({ id: trial.id });
      total += 1;
    }
    const budgetSpent = total >= study.maxTrials || wallExpired || gpuExpired;
    let completed = false;
    if (created.length === 0 && pending === 0 && budgetSpent) {
      const res = await tx.study.updateMany({
        where: { id: studyId, orgId, state: { in: [...ACTIVE_STUDY_STATES] } },
        data: { state: "COMPLETED", finishedAt: now },
      });
      completed = res.count === 1;
    }
    return { created, completed };
  });
  for (const trial of outcome.created) await enqueuer.enqueue({ trialId: trial.id, studyId, orgId });
  if (outcome.created.length > 0 || outcome.completed)
    await notifyStudy(db, { orgId, studyId, kind: "study" });
  return { created: outcome.created.length, completed: outcome.completed };
}

/**
 * Re-add jobs for WAITING trials that have waited longer than `olderThanMs` (their job may be gone:
 * an enqueue that failed after commit, a hand-back). jobId = trial id, so a job still queued is not
 * duplicated. A system sweep across organizations, hence raw SQL past the tenant guard.
 */
export async function requeueWaitingTrials(db: Db, enqueuer: TrialEnqueuer, olderThanMs: number, now: Date) {
  const cutoff = new Date(now.getTime() - olderThanMs);
  const rows = await db.$queryRaw<TrialJob[]>`
    SELECT t."id" AS "trialId", t."studyId", t."orgId" FROM "Trial" t JOIN "Study" s ON s."id" = t."studyId"
    WHERE t."state" = 'WAITING' AND t."queuedAt" < ${cutoff}::timestamp(3) AND s."state" IN ('QUEUED', 'RUNNING')
    LIMIT 500`;
  for (const job of rows) await enqueuer.enqueue(job);
  return rows.length;
}
