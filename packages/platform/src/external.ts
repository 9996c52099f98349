// External trials (docs/api.md "External trials"): the platform samples and prunes, the user's own
// code trains. A worker asks for a trial and gets it under a lease (the attempt that holds it, as a
// runner's claim); heartbeats extend the lease; reports are fenced by it and answered with the
// study's scheduler decision; the tell finishes the trial once. A lease that lapses puts the trial
// back to WAITING as its next attempt (asked again before any new trial), and the lapsed lease can
// no longer write. All through the one storage interface (storage.ts) the runners use.
import { createHash, randomUUID } from "node:crypto";
import { completeTrial, type Db, failTrial, pruneTrial, type TrialResultData } from "@hyperensemble/db";
import { createSampler, createScheduler } from "@hyperensemble/engine/search";
import { notifyStudy } from "./events.ts";
import {
  type Chi2Tell,
  ExternalInputError,
  type PredictionsTell,
  scoreChi2,
  scorePredictions,
} from "./externalScore.ts";
import { orgActiveLimit } from "./limits.ts";
import { studyAskOptions, studySchedulerConfig } from "./search-spec.ts";
import { PostgresTrialStorage } from "./storage.ts";
import { fillQueue, fillSampler, type TrialEnqueuer } from "./study.ts";
import { parseStudyRow } from "./studyRow.ts";
import { trialSeed } from "./trialSpec.ts";
import { warmStartHistory } from "./warmStart.ts";

export const LEASE_SECONDS = { min: 10, max: 3600, default: 300 } as const;

/** Why a trial cannot be written: not found (another org, or not external), or a stale lease. */
export class ExternalTrialError extends Error {
  constructor(
    readonly reason: "not-found" | "stale-lease" | "already-told",
    message: string,
  ) {
    super(message);
    this.name = "ExternalTrialError";
  }
}

export type AskOutcome =
  | {
      trial: {
        id: string;
        number: number;
        params: Record<string, unknown>;
        /** The study's fixed settings: the same for every trial, train with them beside `params`. */
        fixed: Record<string, unknown>;
        lease: { id: string; expiresAt: string; heartbeatSeconds: number };
        ensemble: { replicas: number; folds: number; seed: number; maxEpochs: number };
        task: unknown;
      };
    }
  | { trial: null; reason: "complete" | "paused" | "budget" | "all-leased" };

// External trials are never queued: the fill's enqueuer is never called for them.
const NO_QUEUE: TrialEnqueuer = {
  enqueue: async () => {
    throw new Error("external trials are never enqueued");
  },
};

const TX_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

async function externalStudy(db: Db, orgId: string, studyId: string) {
  const study = await db.study.findFirst({ where: { id: studyId, orgId, executor: "external" } });
  if (!study) throw new ExternalTrialError("not-found", "study not found (or not an external study)");
  return study;
}

/**
 * Lapsed leases go back to WAITING as the next attempt (FAIL once attempts are used up), history in
 * `attempts`, in one fenced statement (racing reapers: each lease lapses once). For one study (an
 * ask) or all (the runners' reaper sweep).
 */
export async function reapLapsedLeases(db: Db, now: Date, studyId?: string) {
  const only = studyId ?? null;
  return db.$queryRaw<{ id: string; orgId: string; studyId: string; state: "WAITING" | "FAIL" }[]>`
    UPDATE "Trial" SET
      "state" = CASE WHEN "attempt" < "maxAttempts" THEN 'WAITING' ELSE 'FAIL' END::"TrialState",
      "attempt" = CASE WHEN "attempt" < "maxAttempts" THEN "attempt" + 1 ELSE "attempt" END,
      "finishedAt" = CASE WHEN "attempt" < "maxAttempts" THEN NULL ELSE ${now}::timestamp(3) END,
      "error" = 'lease lapsed (attempt ' || "attempt" || ')',
      "attempts" = "attempts" || jsonb_build_array(jsonb_build_object(
        'attempt', "attempt", 'runnerId', "worker", 'startedAt', to_char("startedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'endedAt', ${now.toISOString()}::text, 'outcome', 'stale', 'error', 'lease lapsed')),
      "leaseId" = NULL, "leaseExpiresAt" = NULL, "heartbeatAt" = NULL, "worker" = NULL
    WHERE "state" = 'RUNNING' AND "leaseId" IS NOT NULL AND "leaseExpiresAt" <= ${now}::timestamp(3)
      AND (${only}::text IS NULL OR "studyId" = ${only}::text)
    RETURNING "id", "orgId", "studyId", "state"::text AS "state"`;
}

/**
 * The next trial for an external worker: a trial whose lease lapsed (or an enqueued configuration)
 * first, else a new one from the study's sampler, within its budget and parallelism, under the same
 * lock as the runners' fills. Null with a reason when there is none now.
 */
export async function askTrial(
  db: Db,
  ref: { orgId: string; studyId: string },
  options: { leaseSeconds?: number; worker?: string; now?: Date } = {},
): Promise<AskOutcome> {
  const now = options.now ?? new Date();
  const leaseSeconds = options.leaseSeconds ?? LEASE_SECONDS.default;
  const { orgId, studyId } = ref;
  await externalStudy(db, orgId, studyId);
  const orgLimit = await orgActiveLimit(db, orgId);
  const outcome = await db.$transaction(async (tx) => {
    const lockKey = Number.isFinite(orgLimit) ? `dispatch:${orgId}` : `dispatch:${orgId}:${studyId}`;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`;
    const study = parseStudyRow(await tx.study.findFirstOrThrow({ where: { id: studyId, orgId } }));
    if (study.state === "PAUSED" || study.state === "DRAFT")
      return { trial: null, reason: "paused" } as const;
    if (study.state !== "QUEUED" && study.state !== "RUNNING")
      return { trial: null, reason: "complete" } as const;
    await reapLapsedLeases(tx as unknown as Db, now, studyId);
    const storage = new PostgresTrialStorage(tx, orgId, () => now);
    let claimed: { id: string; number: number; params: Record<string, unknown> } | undefined =
      await storage.claimWaiting(studyId);
    if (!claimed) {
      const counts = await tx.trial.groupBy({
        by: ["state"],
        where: { orgId, studyId },
        _count: { _all: true },
      });
      const total = counts.reduce((n, c) => n + c._count._all, 0);
      const pending = counts
        .filter((c) => c.state === "WAITING" || c.state === "RUNNING")
        .reduce((n, c) => n + c._count._all, 0);
      const wallExpired =
        study.maxWallSeconds != null &&
        study.startedAt != null &&
        now.getTime() - study.startedAt.getTime() > study.maxWallSeconds * 1000;
      const timeSpent =
        wallExpired || (study.maxGpuSeconds != null && study.gpuSeconds >= study.maxGpuSeconds);
      if (total >= study.maxTrials || timeSpent) {
        if (pending > 0) return { trial: null, reason: timeSpent ? "budget" : "all-leased" } as const;
        await tx.study.updateMany({
          where: { id: studyId, orgId, state: { in: ["QUEUED", "RUNNING"] } },
          data: { state: "COMPLETED", finishedAt: now },
        });
        return { trial: null, reason: "complete", completed: true } as const;
      }
      if (pending >= study.parallelism) return { trial: null, reason: "all-leased" } as const;
      if (Number.isFinite(orgLimit)) {
        const orgPending = await tx.trial.count({ where: { orgId, state: { in: ["WAITING", "RUNNING"] } } });
        if (orgPending >= orgLimit) return { trial: null, reason: "budget" } as const;
      }
      // As fillQueue: a warm start's points lead the history, the study's ask options apply.
      const history = [...warmStartHistory(study.warmStart), ...(await storage.listTrials(studyId))];
      const params = createSampler(fillSampler(study, total)).ask(
        study.searchSpace,
        history,
        studyAskOptions(study),
      );
      claimed = await storage.createNumbered(studyId, total, params, "RUNNING");
    }
    const lease = { id: randomUUID(), expiresAt: new Date(now.getTime() + leaseSeconds * 1000) };
    await tx.trial.updateMany({
      where: { id: claimed.id, orgId, state: "RUNNING" },
      data: {
        leaseId: lease.id,
        leaseExpiresAt: lease.expiresAt,
        heartbeatAt: now,
        worker: options.worker ?? null,
      },
    });
    if (study.state === "QUEUED")
      await tx.study.updateMany({
        where: { id: studyId, orgId, state: "QUEUED" },
        data: { state: "RUNNING", startedAt: now },
      });
    const { ensemble, training } = study;
    return {
      trial: {
        id: claimed.id,
        number: claimed.number,
        params: claimed.params,
        fixed: study.fixed,
        lease: {
          id: lease.id,
          expiresAt: lease.expiresAt.toISOString(),
          heartbeatSeconds: Math.max(1, Math.floor(leaseSeconds / 3)),
        },
        ensemble: {
          replicas: ensemble.replicas,
          folds: ensemble.folds,
          seed: trialSeed(study.seed, claimed.number),
          maxEpochs: training.maxEpochs,
        },
        task: study.task,
      },
    } as const;
  }, TX_OPTIONS);
  await notifyStudy(db, { orgId, studyId, kind: outcome.trial ? "trial" : "study" });
  if ("completed" in outcome) return { trial: null, reason: "complete" };
  return outcome;
}

/** The trial held by this lease, still live at `now`; else stale (409) or not found (404). */
async function leasedTrial(db: Db, orgId: string, trialId: string, leaseId: string, now: Date) {
  const trial = await db.trial.findFirst({
    where: { id: trialId, orgId, study: { executor: "external" } },
    include: { study: true },
  });
  if (!trial) throw new ExternalTrialError("not-found", "trial not found");
  // Parsed here, where it is read: a bad row stops the report or tell, naming its column.
  const typed = { ...trial, study: parseStudyRow(trial.study) };
  const live =
    trial.state === "RUNNING" &&
    trial.leaseId === leaseId &&
    trial.leaseExpiresAt !== null &&
    trial.leaseExpiresAt.getTime() > now.getTime();
  return { trial: typed, live };
}

const stale = () => new ExternalTrialError("stale-lease", "stale lease");

/** Extends the lease by its own length from now. */
export async function heartbeatLease(
  db: Db,
  ref: { orgId: string; trialId: string },
  leaseId: string,
  now = new Date(),
) {
  const rows = await db.$queryRaw<{ leaseExpiresAt: Date }[]>`
    UPDATE "Trial" SET "leaseExpiresAt" = ${now}::timestamp(3) + ("leaseExpiresAt" - "heartbeatAt"),
      "heartbeatAt" = ${now}::timestamp(3)
    WHERE "id" = ${ref.trialId} AND "orgId" = ${ref.orgId} AND "state" = 'RUNNING' AND "leaseId" = ${leaseId}
      AND "leaseExpiresAt" > ${now}::timestamp(3)
    RETURNING "leaseExpiresAt"`;
  const row = rows[0];
  if (row) return { expiresAt: row.leaseExpiresAt.toISOString() };
  await leasedTrial(db, ref.orgId, ref.trialId, leaseId, now); // 404 before 409
  throw stale();
}

/** An intermediate value for the holding lease; the study's scheduler decides on pruning. */
export async function reportExternal(
  db: Db,
  ref: { orgId: string; trialId: string },
  report: { leaseId: string; step: number; value: number },
  now = new Date(),
): Promise<{ prune: boolean }> {
  const { trial, live } = await leasedTrial(db, ref.orgId, ref.trialId, report.leaseId, now);
  if (!live) throw stale();
  const written = await db.$executeRaw`
    INSERT INTO "IntermediateValue" ("id", "orgId", "trialId", "step", "value", "attempt")
    SELECT gen_random_uuid()::text, t."orgId", t."id", ${report.step}, ${report.value}, t."attempt"
    FROM "Trial" t
    WHERE t."id" = ${trial.id} AND t."orgId" = ${ref.orgId} AND t."state" = 'RUNNING' AND t."leaseId" = ${report.leaseId}
      AND t."leaseExpiresAt" > ${now}::timestamp(3)
    ON CONFLICT ("trialId", "step") DO UPDATE SET "value" = EXCLUDED."value", "attempt" = EXCLUDED."attempt"`;
  if (written !== 1) throw stale();
  if (trial.study.scheduler === "none") return { prune: false };
  // Built from the stored options, as the runners build theirs (search-spec.ts).
  const scheduler = createScheduler(studySchedulerConfig(trial.study, trial.study.seed));
  const history = await new PostgresTrialStorage(db, ref.orgId).listTrials(trial.studyId);
  const self = history.find((t) => t.number === trial.number);
  return { prune: self ? scheduler.shouldPrune(self, report.step, report.value, history) : false };
}

export interface TellInput {
  leaseId: string;
  state: "COMPLETE" | "PRUNED" | "FAIL";
  values?: number[];
  predictions?: PredictionsTell;
  chi2?: Chi2Tell;
  error?: string;
  epochs?: number;
}

/** Canonical digest of a tell: a repeat with the same body is the same tell. */
function tellDigest(tell: TellInput): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify(canonical(tell)))
    .digest("hex");
}

/**
 * Finishes the trial held by the lease. Exactly once: the state change is fenced by the live lease
 * and records the tell's digest, so a repeated identical tell returns the trial unchanged and any
 * other tell on a finished or lapsed lease is refused. Returns the trial's id.
 */
export async function tellTrial(
  db: Db,
  ref: { orgId: string; trialId: string },
  tell: TellInput,
  now = new Date(),
): Promise<{ trialId: string; repeated: boolean }> {
  const digest = tellDigest(tell);
  const { trial, live } = await leasedTrial(db, ref.orgId, ref.trialId, tell.leaseId, now);
  if (!live) {
    if (trial.leaseId === tell.leaseId && trial.tellDigest !== null) {
      if (trial.tellDigest === digest) return { trialId: trial.id, repeated: true };
      throw new ExternalTrialError("already-told", "trial already told with a different result");
    }
    throw stale();
  }
  const study = trial.study;
  let result: Omit<TrialResultData, "epochs" | "backend" | "durationSeconds"> | undefined;
  if (tell.state === "COMPLETE" || tell.predictions || tell.chi2) {
    const given = [tell.values, tell.predictions, tell.chi2].filter((x) => x !== undefined).length;
    if (tell.state === "COMPLETE" && given !== 1)
      throw new ExternalInputError(
        "values",
        "a COMPLETE tell needs exactly one of values, predictions or chi2",
      );
    if (tell.predictions) result = await scorePredictions(db, study, trial, tell.predictions);
    else if (tell.chi2) result = scoreChi2(study, trial, tell.chi2);
  }
  if (tell.values && tell.values.length !== 1)
    throw new ExternalInputError(
      "values",
      `has ${tell.values.length} entries: the study has one objective (${study.objective})`,
    );
  const epochs =
    tell.epochs ??
    (
      await db.intermediateValue.aggregate({
        where: { orgId: ref.orgId, trialId: trial.id },
        _max: { step: true },
      })
    )._max.step ??
    0;
  const durationSeconds = trial.startedAt
    ? Math.max(0, (now.getTime() - trial.startedAt.getTime()) / 1000)
    : 0;
  await db.$transaction(async (tx) => {
    const { count } = await tx.trial.updateMany({
      where: {
        id: trial.id,
        orgId: ref.orgId,
        state: "RUNNING",
        leaseId: tell.leaseId,
        leaseExpiresAt: { gt: now },
      },
      data: { tellDigest: digest, ...(tell.values ? { values: tell.values } : {}) },
    });
    if (count !== 1) throw stale();
    const txDb = tx as unknown as Db;
    const row = result ? { ...result, epochs, backend: "external", durationSeconds } : undefined;
    const ok =
      tell.state === "COMPLETE"
        ? row
          ? await completeTrial(txDb, trial.id, trial.attempt, row, now)
          : await completeWithValues(txDb, trial.id, trial.attempt, now)
        : tell.state === "PRUNED"
          ? await pruneTrial(txDb, trial.id, trial.attempt, row, now)
          : (await failTrial(txDb, trial.id, trial.attempt, tell.error ?? "failed in the external worker", {
              now,
            })) !== null;
    if (!ok) throw stale();
  }, TX_OPTIONS);
  await fillQueue(db, NO_QUEUE, { orgId: ref.orgId, studyId: trial.studyId }, now);
  await notifyStudy(db, { orgId: ref.orgId, studyId: trial.studyId, kind: "trial" });
  return { trialId: trial.id, repeated: false };
}

/** COMPLETE with scalar values only: the state change alone (the values were written with the fence). */
async function completeWithValues(db: Db, trialId: string, attempt: number, now: Date): Promise<boolean> {
  const { count } = await db.trial.updateMany({
    where: { id: trialId, state: "RUNNING", attempt },
    data: { state: "COMPLETE", finishedAt: now, heartbeatAt: now },
  });
  return count === 1;
}
