import {
  acquireTrial,
  claimWaitingTrial,
  completeTrial,
  type Db,
  failTrial,
  heartbeatTrial,
  pruneTrial,
  reportIntermediateValue,
  type Trial,
} from "@hyperensemble/db";
import type { RunTrialOptions, TrialResult, TrialSpec } from "@hyperensemble/engine";
import { physicsFieldsSchema } from "@hyperensemble/engine/physics";
import { createScheduler, type ParamValue } from "@hyperensemble/engine/search";
import {
  admitProposal,
  buildTrialSpec,
  decentralizedProposal,
  fillQueue,
  limitsFromEnv,
  notifyStudy,
  orgActiveLimit,
  PostgresTrialStorage,
  parseStudyRow,
  readProposalHistory,
  studySchedulerConfig,
  type TrialEnqueuer,
  type TrialJob,
  type TypedStudy,
  trialParams,
} from "@hyperensemble/platform";
import { DatasetTaskCache } from "./datasetTasks.ts";
import { runSyntheticTrial } from "./synthetic.ts";
import { timeLimitReason, userFacingError } from "./trialErrors.ts";

export interface TrialProcessorDeps {
  db: Db;
  enqueuer: TrialEnqueuer;
  runnerId: string;
  /** Identifies this worker's own DBO sampler (and kappa) in decentralized studies. Default runnerId. */
  workerId?: string;
  backend?: "tensorflow" | "webgpu" | "wasm" | "cpu";
  /** Trains instead of TF.js (ENGINE_TRAINER: the WGSL or CPU kernel); packs when it can. */
  trainer?: RunTrialOptions["trainer"];
  heartbeatMs: number;
  /** A RUNNING trial whose heartbeat is older than this is taken over (its runner died). */
  staleMs?: number;
  now?: () => Date;
  /** The attempt started (after its claim) and ended: for busy-time accounting. */
  onStart?: (trialId: string) => void;
  onEnd?: (trialId: string) => void;
  /** Synthetic mode: sleep this long per trial instead of training (tests, benchmark). */
  syntheticTrialMs?: number;
  /**
   * Where the follow-up fill (the next trial of the study) goes. Default: awaited before returning.
   * The runner hands it to a background tracker so the worker takes its next job meanwhile.
   */
  followUp?: (work: Promise<unknown>) => void;
  /** Called once per claimed trial with its dispatch timings. */
  onTiming?: (timing: TrialTiming) => void;
  /**
   * Trial packing (engine mode): also claim WAITING trials of the same study that can share the
   * job's program (same task, architecture, optimiser kind and backend) while the program's stacked
   * members (Σ replicas × folds) stay within this many. 0 or absent: one trial per program.
   */
  packMaxMembers?: number;
  /** Only trials WAITING at least this long join a pack (fresher ones are left to idle runners). */
  packMinWaitMs?: number;
  /** How each packed companion trial ended (the job's own trial's outcome is the return value). */
  onPackedOutcome?: (trialId: string, outcome: TrialOutcome) => void;
  /** Built dataset tasks shared across trials (default: one cache per process). */
  datasetTasks?: DatasetTaskCache;
}

export interface TrialTiming {
  trialId: string;
  studyId: string;
  mode: string;
  /** When the job was added to the queue (ms since epoch), if known. */
  enqueuedAt?: number;
  /** When this attempt started training (after its claim). */
  startedAt: number;
  /** When training ended (before the result is written). */
  trainedAt: number;
  finishedAt: number;
  outcome: TrialOutcome["kind"];
}

export type TrialOutcome =
  | { kind: "skipped"; reason: string }
  | { kind: "complete"; value: number }
  | { kind: "pruned"; step: number }
  | { kind: "failed"; error: string }
  | { kind: "released" };

type Engine = typeof import("@hyperensemble/engine");
let engine: Promise<Engine> | undefined;
/** TensorFlow.js loads only when a real trial runs (synthetic runners never pay for it). */
export function loadEngine(): Promise<Engine> {
  engine ??= import("@hyperensemble/engine");
  return engine;
}

/**
 * A stored dataset's task, its covariance factorised in worker threads so this event loop keeps
 * writing heartbeats (a dense 5,000-point block takes tens of seconds, longer than STALE_AFTER_MS).
 * The upload's limits, with a longer time budget: the dataset was accepted already, and a loaded
 * runner may factorise slower than the web did.
 */
export function buildRunnerTask(engine: Engine, json: unknown) {
  const limits = { ...engine.DEFAULT_DATASET_LIMITS, validationMs: RUNNER_DATASET_BUILD_MS };
  // a theory dataset (format "theory") has its own task: the model on its grid, FK heads
  return engine.isTheorySource(json)
    ? engine.buildTheoryTaskOffThread(json, limits)
    : engine.buildTabularTaskOffThread(json, limits);
}
export const RUNNER_DATASET_BUILD_MS = 30 * 60_000;

/** Built dataset tasks when the caller passes none (the runner passes one sized by RUNNER_DATASET_CACHE). */
const datasetTasks = new DatasetTaskCache();

/** The study's row with its JSON columns parsed once (a bad row fails here, naming the column). */
type StudyRow = TypedStudy<NonNullable<Awaited<ReturnType<Db["study"]["findFirst"]>>>>;
const studies = new Map<string, { row: StudyRow; at: number }>();
const STUDY_CACHE_MS = 5_000;

/** A study's settings change only through its state: a few seconds of caching is safe (the claim checks the state). */
async function studyRow(db: Db, studyId: string, orgId: string): Promise<StudyRow> {
  const cached = studies.get(studyId);
  if (cached && Date.now() - cached.at < STUDY_CACHE_MS) return cached.row;
  const row = parseStudyRow(await db.study.findFirstOrThrow({ where: { id: studyId, orgId } }));
  if (studies.size > 1000) studies.clear();
  studies.set(studyId, { row, at: Date.now() });
  return row;
}

const errorName = (err: unknown) => (err instanceof Error ? err.name : "");

const TRANSIENT =
  /ECONNREFUSED|ECONNRESET|Connection terminated|terminating connection|the database system is|Can't reach database|Server has closed the connection|Connection is closed|57P0[1-3]|08006|08003/i;
/** Errors of the infrastructure (database connection lost), not of the trial. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return TRANSIENT.test(err.message) || (typeof code === "string" && TRANSIENT.test(code));
}

/**
 * One delivery of a trial job. The queue delivers at least once, so the claim (WAITING → RUNNING,
 * fenced by attempt) decides whether this delivery does the work; every later write names the
 * attempt and is refused if another attempt has taken the trial since.
 *
 * With packing (deps.packMaxMembers), the runner also claims WAITING trials of the same study that
 * can share this trial's program, each by its own compare-and-set fenced by its attempt, and trains
 * them all as one stacked program. Every trial of the pack keeps its own heartbeat, progress rows,
 * pruning, cancellation and result write; the job returns once the whole pack has ended, with the
 * outcome of its own trial (the others go to deps.onPackedOutcome).
 */
export async function processTrialJob(
  deps: TrialProcessorDeps,
  job: TrialJob,
  shutdown: AbortSignal,
  cancel?: AbortSignal,
  enqueuedAt?: number,
): Promise<TrialOutcome> {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  // Fast path, one statement: WAITING → RUNNING while the study is active.
  let trial = await claimWaitingTrial(db, job.trialId, job.orgId, deps.runnerId, now());
  if (!trial) {
    const found = await db.trial.findFirst({
      where: { id: job.trialId, orgId: job.orgId },
      include: { study: { select: { state: true } } },
    });
    if (!found || (found.state !== "WAITING" && found.state !== "RUNNING"))
      return { kind: "skipped", reason: `trial is ${found?.state ?? "missing"}` };
    // Paused studies keep their WAITING trials; resume re-enqueues them.
    if (found.study.state !== "QUEUED" && found.study.state !== "RUNNING")
      return { kind: "skipped", reason: `study is ${found.study.state}` };
    // RUNNING with a lapsed heartbeat (the job was redelivered after its runner died, before any
    // reaper ran) → reaped to the next attempt, then claimed; a live one is a duplicate delivery.
    const acquired = await acquireTrial(db, found.id, deps.runnerId, deps.staleMs ?? 30_000, now());
    if (!acquired.acquired) return { kind: "skipped", reason: `not acquired: ${acquired.reason}` };
    trial = acquired.trial;
  }
  deps.onStart?.(trial.id);
  let study: StudyRow | undefined;
  try {
    study = await studyRow(db, trial.studyId, trial.orgId);
    if (study.state === "QUEUED") {
      await db.study.updateMany({
        where: { id: study.id, orgId: study.orgId, state: "QUEUED" },
        data: { state: "RUNNING", startedAt: now() },
      });
    }
  } catch (err) {
    deps.onEnd?.(trial.id);
    throw err;
  }
  const ref = { orgId: study.orgId, studyId: study.id };
  // A hint for live pages; not on the path to the trial's start.
  notifyStudy(db, { ...ref, kind: "trial" }).catch(() => undefined);

  // Preparing (the engine, the dataset's covariance factor: tens of seconds for a large block, off this
  // event loop) is part of the claimed attempt: its heartbeat is written meanwhile, so the trial is
  // not taken as stale before its training starts. Each attempt's own heartbeat takes over below.
  const preparing = setInterval(() => {
    heartbeatTrial(db, trial.id, trial.attempt, now()).catch(() => undefined);
  }, deps.heartbeatMs);

  // Decentralized: this worker proposes its next configuration from the shared history while its
  // trial runs (the trial itself is in that history as pending), as DeepHyper's workers do.
  const proposal: Promise<Record<string, ParamValue> | undefined> =
    study.mode === "decentralized"
      ? readProposalHistory(db, ref)
          .then((h) =>
            h ? decentralizedProposal(h, deps.workerId ?? deps.runnerId, study.id).params : undefined,
          )
          .catch(() => undefined)
      : Promise.resolve(undefined);

  // The trials of this program: the job's own, plus packed companions (engine mode only).
  const members: PackMember[] = [{ trial, spec: undefined }];
  const packCancel = new AbortController();
  let studyPoll: ReturnType<typeof setInterval> | undefined;
  /** Start training the members with their options: one promise per member. */
  let train: (opts: TrainOptions[]) => Promise<TrialResult>[];
  try {
    if (deps.syntheticTrialMs !== undefined) {
      const ms = deps.syntheticTrialMs;
      train = ([opts]) => [
        runSyntheticTrial(trialParams(study.fixed, trial.params), ms, {
          signal: opts!.signal,
          onReport: async (r) => (await opts!.onReport(r)) === true,
        }),
      ];
    } else {
      const engine = await loadEngine();
      const prepared = study.datasetId
        ? await (deps.datasetTasks ?? datasetTasks).get(
            db,
            { orgId: study.orgId, datasetId: study.datasetId },
            (json) => buildRunnerTask(engine, json),
          )
        : undefined;
      const dataset = prepared?.json;
      const spec = buildTrialSpec(study, trial, deps.backend, dataset);
      members[0]!.spec = spec;
      if ((deps.packMaxMembers ?? 0) > 0 && (!deps.trainer || deps.trainer.trainPacked))
        members.push(...(await claimCompanions(deps, engine, study, { trial, spec }, dataset)));
      const specs = members.map((m) => m.spec!);
      const trainer = deps.trainer ? { trainer: deps.trainer } : {};
      const task = prepared ? { task: prepared.task } : {};
      train = (opts) =>
        members.length === 1
          ? [engine.runTrial(specs[0]!, { ...opts[0], ...trainer, ...task })]
          : engine.runTrials(
              specs,
              opts.map((o) => ({ ...o, ...trainer, ...task })),
            );
    }
  } catch (err) {
    // loading the engine or the dataset failed: the job's trial ends as a failed training would
    train = () => [Promise.reject(err)];
  }
  if (members.length > 1) {
    const packing = {
      trials: members.length,
      members: members.reduce((n, m) => n + m.spec!.replicas * m.spec!.folds, 0),
      trialIds: members.map((m) => m.trial.id),
    };
    for (const m of members) m.packing = packing;
    // Companions have no job here for the queue's cancellation channel: a cancelled study ends them.
    studyPoll = setInterval(() => {
      db.study
        .findFirst({ where: { id: ref.studyId, orgId: ref.orgId }, select: { state: true } })
        .then((s) => {
          if (s?.state === "CANCELLED") packCancel.abort();
        })
        .catch(() => undefined);
    }, deps.heartbeatMs);
  }
  try {
    clearInterval(preparing);
    const attempts = members.map((m, i) =>
      startAttempt(deps, {
        study,
        member: m,
        shutdown,
        // A cancelled study ends the whole pack; the queue's channel (which also aborts a job whose
        // attempt was taken) speaks for the job's own trial only.
        cancel:
          members.length === 1
            ? cancel
            : i === 0 && cancel
              ? AbortSignal.any([packCancel.signal, cancel])
              : packCancel.signal,
        ...(i === 0 && enqueuedAt !== undefined ? { enqueuedAt } : {}),
        ...(i === 0 ? { proposal } : {}),
      }),
    );
    let results: Promise<TrialResult>[];
    try {
      results = train(attempts.map((a) => a.opts));
    } catch (err) {
      results = attempts.map(() => Promise.reject(err));
    }
    const outcomes = await Promise.all(attempts.map((a, i) => a.finish(results[i]!)));
    outcomes.slice(1).forEach((o, i) => {
      deps.onPackedOutcome?.(members[i + 1]!.trial.id, o);
    });
    return outcomes[0]!;
  } finally {
    clearInterval(preparing);
    if (studyPoll) clearInterval(studyPoll);
    // the job's slot was busy until the whole pack ended
    deps.onEnd?.(trial.id);
  }
}

/** What a trial's training gets from its attempt: the attempt's abort signal and progress sink. */
type TrainOptions = Required<Pick<RunTrialOptions, "signal" | "onReport">>;

interface PackMember {
  trial: Trial;
  spec: TrialSpec | undefined;
  /** Set when the trial runs packed with others: recorded with its result. */
  packing?: { trials: number; members: number; trialIds: string[] };
}

/**
 * Claim WAITING trials of the study that can share the lead's program (same packKey), while the
 * stacked members stay within deps.packMaxMembers: each by its own compare-and-set on the attempt
 * read, only while the study is active. Trials WAITING for less than deps.packMinWaitMs are left to
 * idle runners.
 */
async function claimCompanions(
  deps: TrialProcessorDeps,
  engine: Engine,
  study: StudyRow,
  lead: { trial: Trial; spec: TrialSpec },
  dataset: unknown,
): Promise<PackMember[]> {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const cap = deps.packMaxMembers ?? 0;
  let members = engine.trialMembers(lead.spec);
  if (members >= cap) return [];
  // the study's trials share task and backend: the hyperparameters decide (cheap, no dataset parse)
  const key = engine.architectureKey(lead.spec.params);
  const cutoff = new Date(now().getTime() - (deps.packMinWaitMs ?? 0));
  const candidates = await db.trial.findMany({
    where: {
      orgId: study.orgId,
      studyId: study.id,
      state: "WAITING",
      id: { not: lead.trial.id },
      queuedAt: { lte: cutoff },
    },
    orderBy: { number: "asc" },
    take: 256,
    select: { id: true, attempt: true, number: true, params: true },
  });
  const out: PackMember[] = [];
  for (const c of candidates) {
    let spec: TrialSpec;
    try {
      // an invalid configuration is left to fail in its own run; the key is the built spec's, whose
      // params hold the study's fixed settings too (a fixed n_layers shapes every member alike)
      spec = buildTrialSpec(study, c, deps.backend, dataset);
      if (engine.architectureKey(spec.params) !== key) continue;
    } catch {
      continue;
    }
    const m = engine.trialMembers(spec);
    if (members + m > cap) continue;
    try {
      const claimed = await claimWaitingTrial(db, c.id, study.orgId, deps.runnerId, now(), c.attempt);
      if (!claimed) continue;
      members += m;
      out.push({ trial: claimed, spec });
    } catch {
      // the database went away: run what is claimed (an unknown claim is reaped once stale)
      break;
    }
    if (members >= cap) break;
  }
  return out;
}

/**
 * One claimed attempt from its start to its end: heartbeat, progress rows and pruning (the training
 * options it hands out), then `finish` with the training's result: the fenced result write (or how
 * the attempt ended otherwise), timings and the follow-up fill of the study.
 */
function startAttempt(
  deps: TrialProcessorDeps,
  a: {
    study: StudyRow;
    member: PackMember;
    shutdown: AbortSignal;
    cancel: AbortSignal | undefined;
    enqueuedAt?: number;
    proposal?: Promise<Record<string, ParamValue> | undefined>;
  },
): {
  opts: TrainOptions;
  finish: (result: Promise<TrialResult>) => Promise<TrialOutcome>;
} {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const { study, shutdown, cancel } = a;
  const { trial, packing } = a.member;
  const ref = { orgId: study.orgId, studyId: study.id };
  const attempt = trial.attempt;
  let trainedAt = 0;
  const lost = new AbortController();
  // The trial's wall-clock limit: the study's (capped by its organisation's limit at creation), else
  // the environment's default. Past it the training is aborted and the trial fails for good.
  const limitSeconds = study.maxTrialSeconds ?? limitsFromEnv().maxTrialSeconds;
  const timeLimit = new AbortController();
  const limitTimer = setTimeout(
    () => timeLimit.abort(new Error(timeLimitReason(limitSeconds))),
    Math.min(limitSeconds * 1000, 2_147_483_647),
  );
  limitTimer.unref();
  const abort = AbortSignal.any([shutdown, lost.signal, timeLimit.signal, ...(cancel ? [cancel] : [])]);
  const heartbeat = setInterval(() => {
    heartbeatTrial(db, trial.id, attempt, now())
      .then((held) => {
        if (!held) lost.abort(new Error("trial was taken from this attempt (heartbeat lapsed)"));
      })
      .catch(() => undefined);
  }, deps.heartbeatMs);

  // Built from the stored options, checked against the scheduler's registry entry on the way.
  const scheduler = createScheduler(studySchedulerConfig(study, study.seed));
  let lastNotify = Date.now();
  const onReport = async (report: { epoch: number; value: number }) => {
    const written = await reportIntermediateValue(db, trial.id, attempt, report.epoch, report.value);
    if (!written) {
      lost.abort(new Error("trial was taken from this attempt"));
      return false;
    }
    // Live updates are hints: at most one per second per trial from progress reports.
    if (Date.now() - lastNotify >= 1000) {
      lastNotify = Date.now();
      await notifyStudy(db, { ...ref, kind: "trial" });
    }
    if (study.scheduler === "none") return false;
    return shouldPrune(db, scheduler, ref, trial.number, report);
  };

  const started = performance.now();
  const startedAt = Date.now();
  const finish = async (training: Promise<TrialResult>): Promise<TrialOutcome> => {
    let outcome: TrialOutcome = { kind: "released" };
    let saving = false;
    try {
      const result = await training;
      clearTimeout(limitTimer);
      trainedAt = Date.now();
      saving = true;
      const seconds = (performance.now() - started) / 1000;
      const objective = study.objective as "L1" | "L2" | "L3";
      const ok = await completeTrial(
        db,
        trial.id,
        attempt,
        toResultRow(result, result[objective], seconds, packing),
        now(),
      );
      if (!ok) {
        outcome = { kind: "skipped", reason: "lost the trial before writing its result" };
        return outcome;
      }
      // A packed trial's share of the device time is its share of the program's stacked members.
      const share =
        packing && a.member.spec ? (a.member.spec.replicas * a.member.spec.folds) / packing.members : 1;
      await db.study.updateMany({
        where: { id: study.id, orgId: study.orgId },
        data: { gpuSeconds: { increment: seconds * share } },
      });
      outcome = { kind: "complete", value: result[objective] };
      return outcome;
    } catch (err) {
      outcome = await endAttempt(db, trial.id, attempt, err, {
        shutdown,
        cancel,
        lost: lost.signal,
        timeLimit: timeLimit.signal,
        saving,
        now,
      });
      return outcome;
    } finally {
      clearInterval(heartbeat);
      clearTimeout(limitTimer);
      deps.onTiming?.({
        trialId: trial.id,
        studyId: study.id,
        mode: study.mode,
        ...(a.enqueuedAt !== undefined ? { enqueuedAt: a.enqueuedAt } : {}),
        startedAt,
        trainedAt: trainedAt || Date.now(),
        finishedAt: Date.now(),
        outcome: outcome.kind,
      });
      if (!shutdown.aborted) {
        const next = (async () => {
          await notifyStudy(db, { ...ref, kind: "trial" }).catch(() => undefined);
          const proposed = await a.proposal;
          // Decentralized, no admission limit: one lock-free insert admits this runner's proposal.
          if (proposed && !Number.isFinite(await orgActiveLimit(db, ref.orgId))) {
            const id = await admitProposal(db, ref, proposed, now());
            if (id) {
              await deps.enqueuer.enqueue({ trialId: id, ...ref });
              return;
            }
          }
          await fillQueue(db, deps.enqueuer, ref, now(), proposed ? { proposed: [proposed] } : {});
        })();
        if (deps.followUp) deps.followUp(next);
        else await next;
      }
    }
  };
  return { opts: { signal: abort, onReport }, finish };
}

/**
 * The scheduler's decision on a report just written, from the study's history through the one
 * storage interface (its finished trials cached per study: only pending trials are re-read).
 */
async function shouldPrune(
  db: Db,
  scheduler: ReturnType<typeof createScheduler>,
  ref: { orgId: string; studyId: string },
  number: number,
  report: { epoch: number; value: number },
): Promise<boolean> {
  const stored = await new PostgresTrialStorage(db, ref.orgId).listTrials(ref.studyId);
  const self = stored.find((h) => h.number === number);
  return self ? scheduler.shouldPrune(self, report.epoch, report.value, stored) : false;
}

/** How an attempt that did not complete ends: pruned, handed back, cancelled, lost, or failed. */
async function endAttempt(
  db: Db,
  trialId: string,
  attempt: number,
  err: unknown,
  s: {
    shutdown: AbortSignal;
    cancel: AbortSignal | undefined;
    lost: AbortSignal;
    /** Aborted when the trial ran past its wall-clock limit (the reason is its message). */
    timeLimit: AbortSignal;
    /** Training had finished: the error came from writing the result. */
    saving: boolean;
    now: () => Date;
  },
): Promise<TrialOutcome> {
  if (errorName(err) === "TrialPrunedError") {
    const epoch = (err as { epoch: number }).epoch;
    const ok = await pruneTrial(db, trialId, attempt, undefined, s.now());
    return ok ? { kind: "pruned", step: epoch } : { kind: "skipped", reason: "lost the trial" };
  }
  if (s.shutdown.aborted) {
    // Graceful shutdown ran out of time: hand the trial back as a new attempt for another runner.
    await failTrial(db, trialId, attempt, "runner shut down before the trial finished", {
      retry: true,
      now: s.now(),
    });
    return { kind: "released" };
  }
  if (s.timeLimit.aborted && !s.saving) {
    // Past its time limit: fails for good (a retry would run as long again).
    const reason = (s.timeLimit.reason as Error).message;
    const state = await failTrial(db, trialId, attempt, reason, { now: s.now() });
    return state ? { kind: "failed", error: reason } : { kind: "released" };
  }
  if (s.cancel?.aborted) {
    // Cancelled (study cancelled): end this attempt for good, unless it was already taken from us.
    const state = await failTrial(db, trialId, attempt, "cancelled", { now: s.now() });
    return state ? { kind: "failed", error: "cancelled" } : { kind: "released" };
  }
  if (errorName(err) === "TrialCancelledError" || s.lost.aborted) return { kind: "released" };
  const message = err instanceof Error ? err.message : String(err);
  if (isTransient(err)) {
    // The database (or its connection) went away mid-trial: nothing was half-written (every write is
    // one fenced statement or transaction), so the trial goes back as its next attempt. If even this
    // fails, the job errors, BullMQ redelivers it, and the reaper covers the row.
    await failTrial(db, trialId, attempt, `infrastructure: ${message}`, { retry: true, now: s.now() });
    return { kind: "released" };
  }
  // Database text (tables, constraints, SQL) never reaches the user: a reference to the log instead.
  const reason = userFacingError(err, { trialId, saving: s.saving });
  const state = await failTrial(db, trialId, attempt, reason, { now: s.now() });
  return state ? { kind: "failed", error: reason } : { kind: "skipped", reason: "lost the trial" };
}

/**
 * The result row. A packed trial records its pack next to its prediction bands (TrialResult has no
 * other JSON column): `predictions.packing = { trials, members, trialIds }`.
 */
function toResultRow(
  result: TrialResult,
  value: number,
  durationSeconds: number,
  packing?: PackMember["packing"],
) {
  // The physics views read these from the JSON column: refuse a malformed set before it is stored,
  // and the trial fails with the field's name (a plain Error is shown as is).
  const physics = physicsFieldsSchema.safeParse(result.predictions ?? {});
  if (!physics.success) throw new Error(`result.predictions: ${physics.error.issues[0]?.message}`);
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
    predictions: (packing ? { ...result.predictions, packing } : (result.predictions ?? undefined)) as
      | object
      | undefined,
  };
}
