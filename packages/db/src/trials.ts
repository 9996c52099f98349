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
  if (!result) {
    const { count } = await db.trial.updateMany({
      where: { id: trialId, state: "RUNNING", attempt },
      data: { state, finishedAt: now, heartbeatAt: now },
    });
    return count === 1;
  }
  // One statement: the fenced state change and the result row commit together or not at all, and a
  // runner finishing a trial costs one round trip instead of a five-statement transaction.
  const r = normaliseResult(result);
  const rows = await db.$queryRaw<{ trialId: string }[]>`
    WITH t AS (
      UPDATE "Trial" SET "state" = ${state}::"TrialState", "finishedAt" = ${now}::timestamp(3),
        "heartbeatAt" = ${now}::timestamp(3)
      WHERE "id" = ${trialId} AND "state" = 'RUNNING' AND "attempt" = ${attempt}
      RETURNING "id", "orgId")
    INSERT INTO "TrialResult" ("trialId", "orgId", "value", "L1", "L2", "L3", "phi2", "foldChi2",
      "foldPhi2", "foldCentralChi2", "replicaChi2", "closureBias", "closureVariance", "epochs",
      "backend", "durationSeconds", "predictions")
    SELECT t."id", t."orgId", ${r.value}::float8, ${r.L1}::float8, ${r.L2}::float8, ${r.L3}::float8,
      ${r.phi2}::float8, ${r.foldChi2}::float8[], ${r.foldPhi2}::float8[], ${r.foldCentralChi2}::float8[],
      ${r.replicaChi2}::float8[], ${r.closureBias}::float8, ${r.closureVariance}::float8,
      ${r.epochs}::int, ${r.backend}::text, ${r.durationSeconds}::float8, ${r.predictions}::jsonb
    FROM t
    ON CONFLICT ("trialId") DO UPDATE SET "value" = EXCLUDED."value", "L1" = EXCLUDED."L1",
      "L2" = EXCLUDED."L2", "L3" = EXCLUDED."L3", "phi2" = EXCLUDED."phi2",
      "foldChi2" = EXCLUDED."foldChi2", "foldPhi2" = EXCLUDED."foldPhi2",
      "foldCentralChi2" = EXCLUDED."foldCentralChi2", "replicaChi2" = EXCLUDED."replicaChi2",
      "closureBias" = EXCLUDED."closureBias", "closureVariance" = EXCLUDED."closureVariance",
      "epochs" = EXCLUDED."epochs", "backend" = EXCLUDED."backend",
      "durationSeconds" = EXCLUDED."durationSeconds", "predictions" = EXCLUDED."predictions"
    RETURNING "trialId"`;
  return rows.length === 1;
}

/**
 * A result holds a number that is not finite. Prisma sends NaN and ±Infinity as SQL NULL: in a NOT
 * NULL column the write failed with SQL text as the trial's error, and a NULL inside a Float[] makes
 * the row unreadable by Prisma (DataMapperError). So every number of a result must be finite; this
 * is thrown before anything is written and the runner fails the trial with its message, as Optuna
 * fails a trial whose objective is NaN. (L3 of an ensemble without spread is finite: docs/method.md.)
 */
export class NonFiniteResultError extends Error {
  constructor(
    readonly field: string,
    value: number,
  ) {
    super(`result.${field} is ${value}: a trial's losses must be finite numbers`);
    this.name = "NonFiniteResultError";
  }
}

function finite(field: string, v: unknown): number {
  const n = v as number;
  if (!Number.isFinite(n)) throw new NonFiniteResultError(field, n);
  return n;
}

const floats = (field: string, v: unknown): number[] =>
  (Array.isArray(v) ? (v as number[]) : ((v as { set?: number[] } | undefined)?.set ?? [])).map((x, i) =>
    finite(`${field}[${i}]`, x),
  );
const nullableFloat = (field: string, v: unknown): number | null =>
  v === null || v === undefined ? null : finite(field, v);

/** TrialResultData as plain SQL parameters (Prisma's `{ set }` list form and JSON nulls included). */
function normaliseResult(result: TrialResultData) {
  const predictions = result.predictions;
  const isJsonValue = predictions !== undefined && predictions !== null && typeof predictions !== "symbol";
  // Prisma.JsonNull / DbNull are class instances that stand for SQL NULL, not JSON to store.
  const isNullMarker =
    isJsonValue &&
    typeof predictions === "object" &&
    predictions.constructor?.name?.endsWith("Null") === true;
  return {
    value: finite("value", result.value),
    L1: finite("L1", result.L1),
    L2: finite("L2", result.L2),
    L3: finite("L3", result.L3),
    phi2: finite("phi2", result.phi2),
    foldChi2: floats("foldChi2", result.foldChi2),
    foldPhi2: floats("foldPhi2", result.foldPhi2),
    foldCentralChi2: floats("foldCentralChi2", result.foldCentralChi2),
    replicaChi2: floats("replicaChi2", result.replicaChi2),
    closureBias: nullableFloat("closureBias", result.closureBias),
    closureVariance: nullableFloat("closureVariance", result.closureVariance),
    epochs: result.epochs,
    backend: result.backend,
    durationSeconds: finite("durationSeconds", result.durationSeconds),
    predictions: isJsonValue && !isNullMarker ? JSON.stringify(predictions) : null,
  };
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
 * (history appended to `attempts`), or to FAIL once maxAttempts is used up. Trials held by an external
 * worker's lease are left to their own deadline (platform external.ts). One UPDATE statement:
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
      AND "leaseId" IS NULL
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
 * looks closer (acquireTrial covers a RUNNING trial whose runner died). With `attempt`, only that
 * attempt is claimed (a packing runner claims the companions it read, not a newer attempt).
 */
export async function claimWaitingTrial(
  db: Db,
  trialId: string,
  orgId: string,
  runnerId: string | null,
  now: Date = new Date(),
  attempt?: number,
): Promise<Trial | null> {
  const onlyAttempt = attempt ?? null;
  const rows = await db.$queryRaw<Trial[]>`
    UPDATE "Trial" t SET "state" = 'RUNNING', "runnerId" = ${runnerId}, "heartbeatAt" = ${now}::timestamp(3),
      "startedAt" = ${now}::timestamp(3), "error" = NULL
    FROM "Study" s
    WHERE t."id" = ${trialId} AND t."orgId" = ${orgId} AND t."state" = 'WAITING'
      AND (${onlyAttempt}::int IS NULL OR t."attempt" = ${onlyAttempt}::int)
      AND s."id" = t."studyId" AND s."state" IN ('QUEUED', 'RUNNING') AND s."executor" = 'runner'
    RETURNING t."id", t."orgId", t."studyId", t."number", t."params", t."state"::text AS "state", t."attempt",
      t."maxAttempts", t."runnerId", t."heartbeatAt", t."queuedAt", t."startedAt", t."finishedAt", t."error",
      t."attempts", t."leaseId", t."leaseExpiresAt", t."worker", t."tellDigest", t."values"`;
  return rows[0] ?? null;
}
