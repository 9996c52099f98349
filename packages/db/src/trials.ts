// Trial state changes as compare-and-set updates: the queue delivers at least once, so only the
// attempt that holds a trial (state RUNNING with its attempt number) may move it or write for it.

import type { Db } from "./client.ts";
import type { Prisma, Trial } from "./generated/prisma/client.ts";

/** A row of Trial.attempts: what happened to one attempt that did not finish the trial. */
export interface AttemptRecord {
  attempt: number;
  runnerId: string | null;
  startedAt: string | null;
  endedAt: string;
  outcome: "stale" | "released" | "failed";
  error: string | null;
}

/**
 * WAITING→RUNNING for `attempt` only. Returns the claimed trial, or null when another delivery
 * already holds it, it moved on to a newer attempt, or it is finished.
 */
export async function claimTrial(
  db: Db,
  trialId: string,
  attempt: number,
  runnerId: string | null,
  now: Date = new Date(),
): Promise<Trial | null> {
  const { count } = await db.trial.updateMany({
    where: { id: trialId, state: "WAITING", attempt },
    data: { state: "RUNNING", runnerId, heartbeatAt: now, startedAt: now, error: null },
  });
  if (count !== 1) return null;
  return db.trial.findUnique({ where: { id: trialId } });
}

/** Keep a running attempt alive. False means the attempt no longer holds the trial: stop working. */
export async function heartbeatTrial(
  db: Db,
  trialId: string,
  attempt: number,
  now: Date = new Date(),
): Promise<boolean> {
  const { count } = await db.trial.updateMany({
    where: { id: trialId, state: "RUNNING", attempt },
    data: { heartbeatAt: now },
  });
  return count === 1;
}

/**
 * Record a learning-curve point for the holding attempt only; a step reported again (by a retry)
 * overwrites the earlier point instead of duplicating it. False when the attempt lost the trial.
 */
export async function reportIntermediateValue(
  db: Db,
  trialId: string,
  attempt: number,
  step: number,
  value: number,
): Promise<boolean> {
  const written = await db.$executeRaw`
    INSERT INTO "IntermediateValue" ("id", "orgId", "trialId", "step", "value", "attempt")
    SELECT gen_random_uuid()::text, t."orgId", t."id", ${step}, ${value}, t."attempt"
    FROM "Trial" t
    WHERE t."id" = ${trialId} AND t."state" = 'RUNNING' AND t."attempt" = ${attempt}
    ON CONFLICT ("trialId", "step") DO UPDATE SET "value" = EXCLUDED."value", "attempt" = EXCLUDED."attempt"`;
  return written === 1;
}

export type TrialResultData = Omit<Prisma.TrialResultUncheckedCreateInput, "trialId" | "orgId">;

/**
 * RUNNING→COMPLETE for the holding attempt, writing its result in the same transaction. False (and
 * nothing written) when the attempt no longer holds the trial.
 */
export async function completeTrial(
  db: Db,
  trialId: string,
  attempt: number,
  result: TrialResultData,
  now: Date = new Date(),
): Promise<boolean> {
  return finishTrial(db, trialId, attempt, "COMPLETE", now, result);
}

/** RUNNING→PRUNED for the holding attempt (an early-stopping decision), optionally with a result. */
export async function pruneTrial(
  db: Db,
  trialId: string,
  attempt: number,
  result?: TrialResultData,
  now: Date = new Date(),
): Promise<boolean> {
  return finishTrial(db, trialId, attempt, "PRUNED", now, result);
}

async function finishTrial(
  db: Db,
  trialId: string,
  attempt: number,
  state: "COMPLETE" | "PRUNED",
  now: Date,
  result: TrialResultData | undefined,
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.trial.updateMany({
      where: { id: trialId, state: "RUNNING", attempt },
      data: { state, finishedAt: now, heartbeatAt: now },
    });
    if (count !== 1) return false;
    if (result) {
      const trial = await tx.trial.findUniqueOrThrow({ where: { id: trialId }, select: { orgId: true } });
      await tx.trialResult.upsert({
        where: { trialId },
        create: { ...result, trialId, orgId: trial.orgId },
        update: { ...result },
      });
    }
    return true;
  });
}

/**
 * End the holding attempt with an error. With `retry`, the trial goes back to WAITING as the next
 * attempt while attempts remain (else FAIL); without, it fails for good. Returns the new state, or
 * null when the attempt no longer held the trial.
 */
export async function failTrial(
  db: Db,
  trialId: string,
  attempt: number,
  error: string,
  options: { retry?: boolean; now?: Date } = {},
): Promise<"WAITING" | "FAIL" | null> {
  const now = options.now ?? new Date();
  const retry = options.retry ?? false;
  const rows = await db.$queryRaw<{ state: "WAITING" | "FAIL" }[]>`
    UPDATE "Trial" SET
      "state" = CASE WHEN ${retry}::boolean AND "attempt" < "maxAttempts" THEN 'WAITING' ELSE 'FAIL' END::"TrialState",
      "attempt" = CASE WHEN ${retry}::boolean AND "attempt" < "maxAttempts" THEN "attempt" + 1 ELSE "attempt" END,
      "finishedAt" = CASE WHEN ${retry}::boolean AND "attempt" < "maxAttempts" THEN NULL ELSE ${now}::timestamp(3) END,
      "attempts" = "attempts" || jsonb_build_array(jsonb_build_object(
        'attempt', "attempt", 'runnerId', "runnerId", 'startedAt', to_char("startedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'endedAt', ${now.toISOString()}::text,
        'outcome', CASE WHEN ${retry}::boolean THEN 'released' ELSE 'failed' END, 'error', ${error}::text)),
      "error" = ${error},
      "runnerId" = NULL,
      "heartbeatAt" = NULL
    WHERE "id" = ${trialId} AND "state" = 'RUNNING' AND "attempt" = ${attempt}
    RETURNING "state"::text AS "state"`;
  return rows[0]?.state ?? null;
}

export interface ReapedTrial {
  id: string;
  orgId: string;
  studyId: string;
  state: "WAITING" | "FAIL";
  attempt: number;
}

/**
 * Trials RUNNING whose heartbeat is older than `staleMs` go back to WAITING as the next attempt
 * (history appended to `attempts`), or to FAIL once maxAttempts is used up. One UPDATE statement:
 * when two reapers race, the loser re-checks the row after the winner commits, finds it no longer
 * RUNNING, and skips it, so each stale attempt makes exactly one transition.
 */
export async function reapStaleTrials(
  db: Db,
  staleMs: number,
  now: Date = new Date(),
  options: { trialId?: string } = {},
): Promise<ReapedTrial[]> {
  const cutoff = new Date(now.getTime() - staleMs);
  const onlyTrial = options.trialId ?? null;
  return db.$queryRaw<ReapedTrial[]>`
    UPDATE "Trial" SET
      "state" = CASE WHEN "attempt" < "maxAttempts" THEN 'WAITING' ELSE 'FAIL' END::"TrialState",
      "attempt" = CASE WHEN "attempt" < "maxAttempts" THEN "attempt" + 1 ELSE "attempt" END,
      "finishedAt" = CASE WHEN "attempt" < "maxAttempts" THEN NULL ELSE ${now}::timestamp(3) END,
      "error" = 'heartbeat lapsed (attempt ' || "attempt" || ')',
      "attempts" = "attempts" || jsonb_build_array(jsonb_build_object(
        'attempt', "attempt", 'runnerId', "runnerId", 'startedAt', to_char("startedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'endedAt', ${now.toISOString()}::text,
        'outcome', 'stale', 'error', 'heartbeat lapsed')),
      "runnerId" = NULL,
      "heartbeatAt" = NULL
    WHERE "state" = 'RUNNING' AND "heartbeatAt" < ${cutoff}::timestamp(3)
      AND (${onlyTrial}::text IS NULL OR "id" = ${onlyTrial}::text)
    RETURNING "id", "orgId", "studyId", "state"::text AS "state", "attempt"`;
}

export type AcquireOutcome =
  | { acquired: true; trial: Trial }
  | { acquired: false; reason: "missing" | "held" | "finished" | "lost-race" };

/**
 * What a worker does with a (re)delivered trial job: claim the trial's current attempt if it is
 * WAITING; if it is RUNNING under a heartbeat older than `staleMs` (its runner died and the queue
 * redelivered the job before a reaper ran), reap it to the next attempt first, then claim that.
 * A live RUNNING trial is `held` (a duplicate delivery: drop the job), a finished one `finished`.
 */
export async function acquireTrial(
  db: Db,
  trialId: string,
  runnerId: string | null,
  staleMs: number,
  now: Date = new Date(),
): Promise<AcquireOutcome> {
  const trial = await db.trial.findUnique({ where: { id: trialId } });
  if (!trial) return { acquired: false, reason: "missing" };
  let attempt = trial.attempt;
  if (trial.state === "RUNNING") {
    const stale = trial.heartbeatAt === null || now.getTime() - trial.heartbeatAt.getTime() > staleMs;
    if (!stale) return { acquired: false, reason: "held" };
    const [reaped] = await reapStaleTrials(db, staleMs, now, { trialId });
    if (!reaped) return { acquired: false, reason: "lost-race" };
    if (reaped.state === "FAIL") return { acquired: false, reason: "finished" };
    attempt = reaped.attempt;
  } else if (trial.state !== "WAITING") {
    return { acquired: false, reason: "finished" };
  }
  const claimed = await claimTrial(db, trialId, attempt, runnerId, now);
  return claimed ? { acquired: true, trial: claimed } : { acquired: false, reason: "lost-race" };
}

/**
 * The dispatch fast path: claim a WAITING trial's current attempt in one statement, only while its
 * study is QUEUED or RUNNING (a paused or cancelled study's trials stay put). Null when the trial
 * is not WAITING, belongs to another organisation, or its study is not active: the caller then
 * looks closer (acquireTrial covers a RUNNING trial whose runner died).
 */
export async function claimWaitingTrial(
  db: Db,
  trialId: string,
  orgId: string,
  runnerId: string | null,
  now: Date = new Date(),
): Promise<Trial | null> {
  const rows = await db.$queryRaw<Trial[]>`
    UPDATE "Trial" t SET "state" = 'RUNNING', "runnerId" = ${runnerId}, "heartbeatAt" = ${now}::timestamp(3),
      "startedAt" = ${now}::timestamp(3), "error" = NULL
    FROM "Study" s
    WHERE t."id" = ${trialId} AND t."orgId" = ${orgId} AND t."state" = 'WAITING'
      AND s."id" = t."studyId" AND s."state" IN ('QUEUED', 'RUNNING')
    RETURNING t."id", t."orgId", t."studyId", t."number", t."params", t."state"::text AS "state", t."attempt",
      t."maxAttempts", t."runnerId", t."heartbeatAt", t."queuedAt", t."startedAt", t."finishedAt", t."error",
      t."attempts"`;
  return rows[0] ?? null;
}
