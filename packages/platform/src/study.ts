import type { Db } from "@hyperensemble/db";
import { fixedSettingsIssues, parseTrainerSearchSpace } from "@hyperensemble/engine/hyperparameters";
import { CLOSURE_FOLDABLE_SUBSETS } from "@hyperensemble/engine/limits";
import {
  createSampler,
  type ParamValue,
  parseSearchSpace,
  type SamplerConfig,
  type StoredTrial,
  samplerSeed,
} from "@hyperensemble/engine/search";
import { FixedSettingsError, StudyInputError } from "./errors.ts";
import { notifyStudy } from "./events.ts";
import { cappedSeconds, checkStudySize, orgActiveLimit, orgLimits, studyModelShape } from "./limits.ts";
import type { CreateStudySpec } from "./schema.ts";
import {
  decentralizedSamplerConfig,
  type StudySearchRow,
  samplerChoiceFor,
  studyAskOptions,
  studyObjectives,
  studySamplerConfig,
} from "./search-spec.ts";
import { PostgresTrialStorage } from "./storage.ts";
import { parseStudyRow } from "./studyRow.ts";
import { warmStartHistory, warmStartPoints } from "./warmStart.ts";

// One trial-job type and one enqueuer interface, those of the queue package (the platform only
// calls them).
export type { EnqueueOptions, TrialEnqueuer, TrialJob } from "@hyperensemble/queue";
export { FixedSettingsError, StudyInputError };

import type { TrialEnqueuer, TrialJob } from "@hyperensemble/queue";

export type SearchMode = "centralised" | "decentralized";

const MAX_PRIORITY = 2_097_151; // BullMQ's largest priority (2^21 - 1)
// Waiting for the advisory lock counts against an interactive transaction's timeout: under a burst of
// finishing trials a fill may queue behind others for a while.
const TX_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

const ACTIVE_STUDY_STATES = ["QUEUED", "RUNNING"] as const;
const REPORTS_PER_TRIAL = 20;

/**
 * Each fold holds out one sub-dataset, so a study cannot ask for more folds than its task has
 * sub-datasets: refused here (a 400 naming `folds`) rather than failing every trial on the runner.
 */
async function checkFolds(db: Db, orgId: string, spec: CreateStudySpec): Promise<void> {
  let available: number;
  let what: string;
  if (spec.task.kind === "closure") {
    available = CLOSURE_FOLDABLE_SUBSETS;
    what = "the closure task has";
  } else {
    const row = await db.dataset.findFirst({
      where: { id: spec.task.datasetId, orgId },
      select: { summary: true },
    });
    const subsets = (row?.summary as { subsets?: unknown[] } | null)?.subsets;
    if (!Array.isArray(subsets)) return;
    available = subsets.length;
    what = "the dataset has";
  }
  if (spec.folds > available)
    throw new StudyInputError(
      "folds",
      `${spec.folds} folds need ${spec.folds} sub-datasets to hold out; ${what} ${available}, so folds must be 1 to ${available}`,
    );
}

export async function createStudy(
  db: Db,
  enqueuer: TrialEnqueuer,
  args: { orgId: string; ownerId: string; spec: CreateStudySpec; now?: Date },
) {
  const { orgId, ownerId, spec } = args;
  // Parse the space and check it against the trainer's hyperparameters before anything is
  // written: a bad space, an unknown name or a range the trainer refuses stores nothing.
  // The demo space lives in the engine's root module (TensorFlow.js): loaded only when needed.
  // An external study's own code trains: its space names that code's hyperparameters, not ours.
  const rawSpace = spec.searchSpace ?? (await import("@hyperensemble/engine")).demoSearchSpace;
  const searchSpace =
    spec.executor === "external" ? parseSearchSpace(rawSpace) : parseTrainerSearchSpace(rawSpace);
  const fixed = spec.fixed ?? {};
  const fixedIssues = fixedSettingsIssues(fixed, searchSpace, { trainer: spec.executor !== "external" });
  if (fixedIssues.length > 0) throw new FixedSettingsError(fixedIssues);
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
  await checkFolds(db, orgId, spec);
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
      fixed,
      shape: await studyModelShape(db, orgId, datasetId),
    },
    limits,
  );
  const maxWallSeconds = cappedSeconds("maxWallSeconds", spec.maxWallSeconds, "maxStudyWallSeconds", limits);
  const maxGpuSeconds = cappedSeconds("maxGpuSeconds", spec.maxGpuSeconds, "maxStudyGpuSeconds", limits);
  const maxTrialSeconds = cappedSeconds("maxTrialSeconds", spec.maxTrialSeconds, "maxTrialSeconds", limits);
  const warmStart = spec.warmStartFrom
    ? await warmStartPoints(db, {
        orgId,
        fromStudyId: spec.warmStartFrom,
        space: searchSpace,
        objective: spec.objective,
      })
    : undefined;
  const study = await db.study.create({
    data: {
      orgId,
      ownerId,
      datasetId,
      name: spec.name,
      state: "QUEUED",
      task: spec.task,
      searchSpace: searchSpace as object,
      fixed: fixed as object,
      ensemble: { replicas: spec.replicas, folds: spec.folds },
      training: {
        maxEpochs: spec.maxEpochs,
        reportEvery: Math.max(1, Math.floor(spec.maxEpochs / REPORTS_PER_TRIAL)),
      },
      objective: spec.objective,
      sampler: spec.sampler.name,
      samplerOptions: spec.sampler.options as object,
      samplerChoice: samplerChoiceFor(
        spec.sampler.name,
        searchSpace,
        studyObjectives({ sampler: spec.sampler.name, objective: spec.objective }).names.length,
      ),
      scheduler: spec.scheduler.name,
      schedulerOptions: spec.scheduler.options as object,
      mode: spec.mode,
      executor: spec.executor,
      seed,
      maxTrials: spec.trials,
      parallelism: spec.parallelism,
      maxWallSeconds,
      maxGpuSeconds,
      maxTrialSeconds,
      ...(warmStart ? { warmStart: warmStart as object[] } : {}),
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

/**
 * How a study whose budget is spent ends: FAILED when it has trials and every one failed (it found
 * nothing; `hens study follow` exits 1), else COMPLETED (its failures counted on the list and page).
 */
export function finalState(counts: { state: string; _count: { _all: number } }[]): "COMPLETED" | "FAILED" {
  const n = (state: string) => counts.find((c) => c.state === state)?._count._all ?? 0;
  return n("FAIL") > 0 && n("COMPLETE") + n("PRUNED") === 0 ? "FAILED" : "COMPLETED";
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
export function fillSampler(study: StudySearchRow & { seed: number }, total: number): SamplerConfig {
  // One seed for the whole study (samplerSeed says why): a 3x4 grid repeated points within 5 trials
  // when the seed changed per trial.
  const seed = samplerSeed(study.seed);
  // A decentralized study has no central sampler: the platform only tops up (start-up, resume,
  // sweeps) with a DBO worker of its own, which samples from the prior until there is history.
  if (study.mode === "decentralized") return decentralizedSamplerConfig(study, seed, `platform-${total}`);
  return studySamplerConfig(study, seed);
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
      const found = await tx.study.findFirst({ where: { id: studyId, orgId } });
      if (!found || !(ACTIVE_STUDY_STATES as readonly string[]).includes(found.state)) return idle;
      const study = parseStudyRow(found);
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
        // A warm start's points (another study's results) lead the history the sampler models.
        const history = needsHistory
          ? [...warmStartHistory(study.warmStart), ...(await storage.listTrials(studyId))]
          : [];
        const space = needsHistory ? study.searchSpace : undefined;
        let total = total0;
        for (let i = 0; i < slots; i++) {
          const params =
            proposed.shift() ??
            createSampler(fillSampler(study, total)).ask(space!, history, studyAskOptions(study));
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
          data: { state: finalState(counts), finishedAt: now },
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
