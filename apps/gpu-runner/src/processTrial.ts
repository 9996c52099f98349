import {
  claimTrial,
  completeTrial,
  type Db,
  failTrial,
  heartbeatTrial,
  pruneTrial,
  reportIntermediateValue,
} from "@hyperensemble/db";
import { runTrial, TrialCancelledError, TrialPrunedError, type TrialResult } from "@hyperensemble/engine";
import { createScheduler } from "@hyperensemble/engine/search";
import {
  buildTrialSpec,
  fillQueue,
  notifyStudy,
  type TrialEnqueuer,
  type TrialJob,
} from "@hyperensemble/platform";

export interface TrialProcessorDeps {
  db: Db;
  enqueuer: TrialEnqueuer;
  runnerId: string;
  backend?: "tensorflow" | "webgpu" | "wasm" | "cpu";
  heartbeatMs: number;
  now?: () => Date;
}

export type TrialOutcome =
  | { kind: "skipped"; reason: string }
  | { kind: "complete"; value: number }
  | { kind: "pruned"; step: number }
  | { kind: "failed"; error: string }
  | { kind: "released" };

/**
 * One delivery of a trial job. The queue delivers at least once, so the claim (WAITING → RUNNING,
 * fenced by attempt) decides whether this delivery does the work; every later write names the
 * attempt and is refused if another attempt has taken the trial since.
 */
export async function processTrialJob(
  deps: TrialProcessorDeps,
  job: TrialJob,
  shutdown: AbortSignal,
  cancel?: AbortSignal,
): Promise<TrialOutcome> {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const found = await db.trial.findFirst({
    where: { id: job.trialId, orgId: job.orgId },
    include: { study: true },
  });
  if (!found || found.state !== "WAITING")
    return { kind: "skipped", reason: `trial is ${found?.state ?? "missing"}` };
  const { study, ...trial } = found;
  const attempt = trial.attempt;
  if (!(await claimTrial(db, trial.id, attempt, deps.runnerId, now()))) {
    return { kind: "skipped", reason: "another delivery claimed this attempt first" };
  }
  const ref = { orgId: study.orgId, studyId: study.id };
  await db.study.updateMany({
    where: { id: study.id, orgId: study.orgId, state: "QUEUED" },
    data: { state: "RUNNING", startedAt: now() },
  });
  await notifyStudy(db, { ...ref, kind: "trial" });

  const lost = new AbortController();
  const abort = AbortSignal.any([shutdown, lost.signal, ...(cancel ? [cancel] : [])]);
  const heartbeat = setInterval(() => {
    heartbeatTrial(db, trial.id, attempt, now())
      .then((held) => {
        if (!held) lost.abort(new Error("trial was taken from this attempt (heartbeat lapsed)"));
      })
      .catch(() => undefined);
  }, deps.heartbeatMs);

  const scheduler = createScheduler({ name: study.scheduler as "none" });
  const started = performance.now();
  try {
    const spec = buildTrialSpec(study, trial, deps.backend);
    const result: TrialResult = await runTrial(spec, {
      signal: abort,
      onReport: async (report) => {
        const written = await reportIntermediateValue(db, trial.id, attempt, report.epoch, report.value);
        if (!written) {
          lost.abort(new Error("trial was taken from this attempt"));
          return false;
        }
        await notifyStudy(db, { ...ref, kind: "trial" });
        const history = await db.trial.findMany({
          where: { orgId: study.orgId, studyId: study.id },
          select: {
            number: true,
            state: true,
            params: true,
            intermediate: { select: { step: true, value: true } },
          },
        });
        const stored = history.map((h) => ({
          number: h.number,
          state: h.state,
          params: h.params as Record<string, number | string | boolean>,
          intermediate: h.intermediate.map((iv) => [iv.step, iv.value] as [number, number]),
        }));
        const self = stored.find((h) => h.number === trial.number);
        return self ? scheduler.shouldPrune(self, report.epoch, report.value, stored) : false;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const objective = study.objective as "L1" | "L2" | "L3";
    const ok = await completeTrial(
      db,
      trial.id,
      attempt,
      toResultRow(result, result[objective], seconds),
      now(),
    );
    if (!ok) return { kind: "skipped", reason: "lost the trial before writing its result" };
    await db.study.updateMany({
      where: { id: study.id, orgId: study.orgId },
      data: { gpuSeconds: { increment: seconds } },
    });
    return { kind: "complete", value: result[objective] };
  } catch (err) {
    if (err instanceof TrialPrunedError) {
      const ok = await pruneTrial(db, trial.id, attempt, undefined, now());
      return ok ? { kind: "pruned", step: err.epoch } : { kind: "skipped", reason: "lost the trial" };
    }
    if (shutdown.aborted) {
      // Graceful shutdown ran out of time: hand the trial back as a new attempt for another runner.
      await failTrial(db, trial.id, attempt, "runner shut down before the trial finished", {
        retry: true,
        now: now(),
      });
      return { kind: "released" };
    }
    if (cancel?.aborted) {
      // Cancelled (study cancelled): end this attempt for good, unless it was already taken from us.
      const state = await failTrial(db, trial.id, attempt, "cancelled", { now: now() });
      return state ? { kind: "failed", error: "cancelled" } : { kind: "released" };
    }
    if (err instanceof TrialCancelledError || lost.signal.aborted) return { kind: "released" };
    const message = err instanceof Error ? err.message : String(err);
    const state = await failTrial(db, trial.id, attempt, message, { now: now() });
    return state ? { kind: "failed", error: message } : { kind: "skipped", reason: "lost the trial" };
  } finally {
    clearInterval(heartbeat);
    await notifyStudy(db, { ...ref, kind: "trial" }).catch(() => undefined);
    if (!shutdown.aborted) await fillQueue(db, deps.enqueuer, ref, now());
  }
}

function toResultRow(result: TrialResult, value: number, durationSeconds: number) {
  return {
    value,
    L1: result.L1,
    L2: result.L2,
    L3: result.L3,
    phi2: result.phi2,
    foldChi2: result.foldChi2,
    foldPhi2: result.foldPhi2,
    foldCentralChi2: result.foldCentralChi2,
    replicaChi2: result.replicaChi2,
    closureBias: result.closure?.bias ?? null,
    closureVariance: result.closure?.variance ?? null,
    epochs: result.epochs,
    backend: result.backend,
    durationSeconds,
    predictions: (result.predictions ?? undefined) as object | undefined,
  };
}
