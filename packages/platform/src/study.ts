import type { Db } from "@hyperensemble/db";
import {
  createSampler,
  type ParamValue,
  parseSearchSpace,
  type SamplerConfig,
} from "@hyperensemble/engine/search";
import { notifyStudy } from "./events.ts";
import { cappedSeconds, checkStudySize, orgActiveLimit, orgLimits, studyModelShape } from "./limits.ts";
import type { CreateStudySpec } from "./schema.ts";
import { PostgresTrialStorage } from "./storage.ts";

export interface TrialJob {
  trialId: string;
  studyId: string;
  orgId: string;
}

export interface EnqueueOptions {
  /**
   * BullMQ priority (1 = first). fillQueue passes the trial's rank among its organisation's pending
   * trials, so the k-th queued trial of every organisation is served before the (k+1)-th of any:
   * round-robin between organisations on open-source BullMQ (no Pro groups).
   */
  priority?: number;
}

/** Where new trials go: the BullMQ trial queue in production, anything with the same shape in tests. */
export interface TrialEnqueuer {
  enqueue(job: TrialJob, options?: EnqueueOptions): Promise<void>;
}

export type SearchMode = "centralised" | "decentralized";

const MAX_PRIORITY = 2_097_151; // BullMQ's largest priority (2^21 - 1)
// Waiting for the advisory lock counts against an interactive transaction's timeout: under a burst of
// finishing trials a fill may queue behind others for a while.
const TX_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

const ACTIVE_STUDY_STATES = ["QUEUED", "RUNNING"] as const;
const REPORTS_PER_TRIAL = 20;

/** Input that passed the schema but not the database (e.g. an unknown dataset); names the field. */
export class StudyInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "StudyInputError";
  }
}

export async function createStudy(
  db: Db,
  enqueuer: TrialEnqueuer,
  args: { orgId: string; ownerId: string; spec: CreateStudySpec; now?: Date },
) {
  const { orgId, ownerId, spec } = args;
  // Parse the space before anything is written: a bad space stores nothing.
  // The demo space lives in the engine's root module (TensorFlow.js): loaded only when needed.
  const searchSpace = parseSearchSpace(
    spec.searchSpace ?? (await import("@hyperensemble/engine")).demoSearchSpace,
  );
  const seed = spec.seed ?? Math.floor((args.now ?? new Date()).getTime() % 2_147_483_647);
  let datasetId: string | null = null;
  if (spec.task.kind === "dataset") {
    // Only a dataset of the study's own organization: another org's id is "not found", as any other.
    const dataset = await db.dataset.findFirst({
      where: { id: spec.task.datasetId, orgId },
      select: { id: true },
    });
    if (!dataset) throw new StudyInputError("task.datasetId", "dataset not found in this organization");
    datasetId = dataset.id;
  }
  // Quotas before anything is stored: the study's size and its time budgets (docs/operations.md).
  const limits = await orgLimits(db, orgId);
  checkStudySize(
    {
      replicas: spec.replicas,
      folds: spec.folds,
      maxEpochs: spec.maxEpochs,
      trials: spec.trials,
      parallelism: spec.parallelism,
      space: searchSpace,
      shape: await studyModelShape(db, orgId, datasetId),
    },
    limits,
  );
  const maxWallSeconds = cappedSeconds("maxWallSeconds", spec.maxWallSeconds, "maxStudyWallSeconds", limits);
  const maxGpuSeconds = cappedSeconds("maxGpuSeconds", spec.maxGpuSeconds, "maxStudyGpuSeconds", limits);
  const maxTrialSeconds = cappedSeconds("maxTrialSeconds", spec.maxTrialSeconds, "maxTrialSeconds", limits);
  const study = await db.study.create({
    data: {
      orgId,
      ownerId,
      datasetId,
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
      mode: spec.mode,
      executor: spec.executor,
      seed,
      maxTrials: spec.trials,
      parallelism: spec.parallelism,
      maxWallSeconds,
      maxGpuSeconds,
      maxTrialSeconds,
    },
  });
  try {
    await fillQueue(db, enqueuer, { orgId, studyId: study.id });
  } catch (error) {
    // The study is stored and valid; its first trials are a refill away. Under load the fill's
    // transaction can time out (P2028) or the queue can be briefly down: answering 500 here would make
    // clients retry and create the study twice, so report success and let the runners' top-up sweep
    // (fillActiveStudies) propose the trials.
    console.warn(`createStudy: first fill of ${study.id} deferred to the sweep: ${String(error)}`);
  }
  return study;
}

export interface FillOptions {
  /**
   * At most this many WAITING or RUNNING trials per organisation, across its studies. Default: the
   * organisation's limit (limits.ts: its override, else HENS_ORG_MAX_ACTIVE_TRIALS). With the rank
   * priority it keeps one organisation's large study from filling the queue ahead of everyone else.
   */
  orgActiveLimit?: number;
  /**
   * Decentralized mode: configurations a runner proposed itself (its own surrogate and kappa, from
   * the shared history). They are admitted first, under the same lock and budget as any trial.
   */
  proposed?: Record<string, ParamValue>[];
}

export interface FillOutcome {
  created: number;
  completed: boolean;
  /** True when the organisation's admission limit stopped the study from filling to its parallelism. */
  admissionLimited: boolean;
}

/** The sampler that fills a study's open slots when no runner proposal is at hand. */
export function fillSampler(
  study: { mode: string; sampler: string; seed: number },
  total: number,
): SamplerConfig {
  // Seeded per trial number: proposals are reproducible from (study seed, history).
  const seed = (study.seed + total * 7_919) >>> 0;
  // A decentralized study has no central sampler: the platform only tops up (start-up, resume,
  // sweeps) with a DBO worker of its own, which samples from the prior until there is history.
  if (study.mode === "decentralized") return { name: "dbo", seed, workerId: `platform-${total}` };
  return { name: study.sampler as "random", seed };
}

/**
 * Keep the study's queue filled to its parallelism, and complete it when its budget is spent.
 * Serialised per organisation by a transaction-scoped advisory lock, so any number of runners and
 * web processes may call it concurrently after each trial: trial numbers stay unique, the trial
 * budget is never exceeded, and the organisation's admission limit holds across its studies. Jobs
 * are enqueued after commit (jobId = trial id, so a repeat is a no-op), each with its rank among
 * the organisation's pending trials as priority.
 */
export async function fillQueue(
  db: Db,
  enqueuer: TrialEnqueuer,
  ref: { orgId: string; studyId: string },
  now: Date = new Date(),
  options: FillOptions = {},
): Promise<FillOutcome> {
  const { orgId, studyId } = ref;
  const orgLimit = options.orgActiveLimit ?? (await orgActiveLimit(db, orgId));
  const proposed = [...(options.proposed ?? [])];
  const admission = Number.isFinite(orgLimit);
  // A decentralized study's runners admit proposals without the lock (admitProposal): a fill that
  // races one for the same number loses on the unique index and simply runs again.
  const outcome = await retryOnNumberClash(() =>
    db.$transaction(async (tx) => {
      // With an admission limit, the organisation's fills are serialised (the limit spans its studies);
      // without, only the study's (numbers and budget are per study).
      const lockKey = admission ? `dispatch:${orgId}` : `dispatch:${orgId}:${studyId}`;
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`;
      const idle = { created: [] as { id: string; priority: number }[], completed: false, limited: false };
      const study = await tx.study.findFirst({ where: { id: studyId, orgId } });
      if (!study || !(ACTIVE_STUDY_STATES as readonly string[]).includes(study.state)) return idle;
      const counts = await tx.trial.groupBy({
        by: ["state"],
        where: { orgId, studyId },
        _count: { _all: true },
      });
      const total0 = counts.reduce((n, c) => n + c._count._all, 0);
      const pending = counts
        .filter((c) => c.state === "WAITING" || c.state === "RUNNING")
        .reduce((n, c) => n + c._count._all, 0);
      const wallExpired =
        study.maxWallSeconds != null &&
        study.startedAt != null &&
        now.getTime() - study.startedAt.getTime() > study.maxWallSeconds * 1000;
      const gpuExpired = study.maxGpuSeconds != null && study.gpuSeconds >= study.maxGpuSeconds;
      const budgetLeft = !wallExpired && !gpuExpired && total0 < study.maxTrials;
      // An external study's trials are created by its workers' asks (external.ts), never queued here;
      // the fill only completes it once its budget is spent.
      const external = study.executor === "external";
      let slots =
        budgetLeft && !external ? Math.min(study.parallelism - pending, study.maxTrials - total0) : 0;
      let orgPending = 0;
      let limited = false;
      if (slots > 0 && Number.isFinite(orgLimit)) {
        orgPending = await tx.trial.count({ where: { orgId, state: { in: ["WAITING", "RUNNING"] } } });
        if (orgPending + slots > orgLimit) {
          slots = Math.max(0, orgLimit - orgPending);
          limited = true;
        }
      }
      const created: { id: string; priority: number }[] = [];
      if (slots > 0) {
        // The history only matters to samplers that model it; runner proposals need none here.
        const storage = new PostgresTrialStorage(tx, orgId, () => now);
        const needsHistory = proposed.length < slots;
        const history = needsHistory ? await storage.listTrials(studyId) : [];
        const space = needsHistory ? parseSearchSpace(study.searchSpace) : undefined;
        let total = total0;
        for (let i = 0; i < slots; i++) {
          const params = proposed.shift() ?? createSampler(fillSampler(study, total)).ask(space!, history);
          const trial = await storage.createNumbered(studyId, total, params, "WAITING");
          history.push({ number: trial.number, params, state: "WAITING" });
          orgPending += 1;
          // Rank priority only under admission control (fairness); else FIFO, the fastest path.
          created.push({ id: trial.id, priority: admission ? Math.min(orgPending, MAX_PRIORITY) : 0 });
          total += 1;
        }
      }
      let completed = false;
      const spent = !budgetLeft || total0 + created.length >= study.maxTrials;
      if (created.length === 0 && pending === 0 && spent) {
        const res = await tx.study.updateMany({
          where: { id: studyId, orgId, state: { in: [...ACTIVE_STUDY_STATES] } },
          data: { state: "COMPLETED", finishedAt: now },
        });
        completed = res.count === 1;
      }
      return { created, completed, limited };
    }, TX_OPTIONS),
  );
  for (const trial of outcome.created)
    await enqueuer.enqueue(
      { trialId: trial.id, studyId, orgId },
      trial.priority > 0 ? { priority: trial.priority } : {},
    );
  if (outcome.created.length > 0 || outcome.completed)
    await notifyStudy(db, { orgId, studyId, kind: "study" });
  return { created: outcome.created.length, completed: outcome.completed, admissionLimited: outcome.limited };
}

export function isNumberClash(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "P2002" || /23505|Unique constraint/i.test(String(error));
}

async function retryOnNumberClash<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isNumberClash(error) || attempt >= 12) throw error;
      // Busy decentralized studies admit proposals continuously: back off a little, with jitter, so
      // a (longer) locked fill gets a window between two admissions.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
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
      AND s."executor" = 'runner'
    LIMIT 500`;
  for (const job of rows) await enqueuer.enqueue(job);
  return rows.length;
}
