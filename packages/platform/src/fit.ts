import type { Db } from "@hyperensemble/db";
import type { RunTrialOptions, Task, TrialSpec } from "@hyperensemble/engine";
import { StudyInputError } from "./errors.ts";
import { lhapdfSet } from "./fitLhapdf.ts";
import {
  createFitInputSchema,
  DEFAULT_POSTFIT_RULE,
  type FitExportFormat,
  postfitRuleSchema,
} from "./fitSchema.ts";
import type { FitOutcome } from "./fitTrain.ts";
import { fitWeights } from "./fitWeights.ts";
import { orgLimits } from "./limits.ts";
import { checkStorageQuota } from "./storageQuota.ts";
import { parseStudyRow } from "./studyRow.ts";
import { buildTrialSpec } from "./trialSpec.ts";

/**
 * Final fits as rows (Fit): created from a study's selected configuration (METHOD.md §4, the engine's
 * selectConfiguration) or one named trial, claimed and run by a runner's fit loop (runFit), exported
 * (fitExport). The numbers are fitTrain.ts's; this file is the lifecycle around them.
 */

/** The study's selected configuration's trial (the selection rule over its completed trials), or null. */
async function selectedTrial(db: Db, orgId: string, studyId: string) {
  const rows = await db.trial.findMany({
    where: { orgId, studyId, state: "COMPLETE", result: { isNot: null } },
    select: { id: true, number: true, params: true, result: { select: { L1: true, phi2: true } } },
  });
  const trials = rows.filter((r) => r.result && Number.isFinite(r.result.L1));
  if (trials.length === 0) return null;
  const { selectConfiguration } = await import("@hyperensemble/engine/estimators");
  const { selected } = selectConfiguration(
    trials.map((t) => ({ id: t.id, L1: t.result!.L1, phi2: t.result!.phi2 })),
  );
  return trials.find((t) => t.id === selected) ?? null;
}

export async function createFit(db: Db, args: { orgId: string; ownerId: string; input: unknown }) {
  const input = createFitInputSchema.parse(args.input);
  const { limits, source } = await orgLimits(db, args.orgId);
  if (input.replicas > limits.maxFitReplicas)
    throw new StudyInputError(
      "replicas",
      `at most ${limits.maxFitReplicas} replicas per fit (${source.maxFitReplicas}); asked for ${input.replicas}`,
    );
  const study = await db.study.findFirst({
    where: { id: input.studyId, orgId: args.orgId },
    select: { id: true, executor: true },
  });
  if (!study) throw new StudyInputError("studyId", "study not found in this organization");
  if (study.executor === "external")
    throw new StudyInputError(
      "studyId",
      "an external study's trainer is the user's own: it cannot be fitted here",
    );
  const trial =
    input.trial === undefined
      ? await selectedTrial(db, args.orgId, study.id)
      : await db.trial.findFirst({
          where: { orgId: args.orgId, studyId: study.id, number: input.trial },
          select: { id: true, number: true, params: true },
        });
  if (!trial)
    throw new StudyInputError(
      "trial",
      input.trial === undefined
        ? "the study has no completed trial with a finite L1 to select a configuration from"
        : `trial ${input.trial} not found in this study`,
    );
  return db.$transaction(async (tx) => {
    // Its artifact (every replica's outputs and weights) is measured only when the runner stores it.
    await checkStorageQuota(tx, args.orgId, 0, "a new fit");
    return tx.fit.create({
      data: {
        orgId: args.orgId,
        studyId: study.id,
        ownerId: args.ownerId,
        trialId: trial.id,
        trialNumber: trial.number,
        params: trial.params as object,
        replicas: input.replicas,
        postfitRule: (input.rule ?? DEFAULT_POSTFIT_RULE) as object,
      },
    });
  });
}

/** The summary shown and served (Fit.outcome): everything but the replicas' outputs and parameters. */
export function fitOutcomeSummary(o: FitOutcome) {
  const discarded = o.selection.discarded;
  return {
    datasets: o.datasets,
    centralChi2: o.centralChi2,
    phi2: o.phi2,
    epochs: o.epochs,
    replicas: o.replicas,
    selection: o.selection,
    kept: o.selection.kept.length,
    discarded: discarded.chi2.length + discarded.positivity.length + discarded.integrability.length,
    outputNames: o.outputNames,
    x: o.x,
  };
}
export type FitSummary = ReturnType<typeof fitOutcomeSummary>;

export interface RunFitOptions {
  runnerId?: string;
  backend?: TrialSpec["backend"];
  /** The engine's kernel trainer (absent: TF.js), as for trials. */
  trainer?: RunTrialOptions["trainer"];
  /** Build a stored dataset's task (the runner passes buildRunnerTask: off its event loop). */
  buildTask?: (json: unknown) => Task | Promise<Task>;
  now?: () => Date;
  /** Aborted: training stops and the fit goes back to QUEUED for another runner (a runner's shutdown). */
  signal?: AbortSignal;
}

/**
 * Fits RUNNING on a runner whose heartbeat lapsed (or that went OFFLINE) go back to QUEUED: a runner
 * that died mid-fit does not leave it RUNNING forever. Returns how many.
 */
export async function requeueStaleFits(db: Db, staleMs: number, now = new Date()): Promise<number> {
  return db.$executeRaw`
    UPDATE "Fit" f SET "state" = 'QUEUED', "runnerId" = NULL, "startedAt" = NULL, "progress" = 0
    FROM "Runner" r
    WHERE f."state" = 'RUNNING' AND f."runnerId" = r."id"
      AND (r."heartbeatAt" < ${new Date(now.getTime() - staleMs)} OR r."state" = 'OFFLINE')`;
}

/** The oldest QUEUED fit of any organisation (runFit claims it; another runner may win the claim). */
export async function nextQueuedFit(db: Db): Promise<string | null> {
  const next = await db.fit.findFirst({
    where: { state: "QUEUED" },
    orderBy: { createdAt: "asc" },
    select: { id: true },
  });
  return next?.id ?? null;
}

/**
 * Claim a QUEUED fit (a compare-and-set on its state: of two runners only one runs it), train it and
 * store the outcome: COMPLETED, or FAILED with the error. Returns the final state, or null when the
 * fit was not QUEUED (another runner has it, or it was cancelled).
 */
export async function runFit(db: Db, fitId: string, opts: RunFitOptions = {}) {
  const now = opts.now ?? (() => new Date());
  const started = now();
  const claimed = await db.fit.updateMany({
    where: { id: fitId, state: "QUEUED" },
    data: { state: "RUNNING", startedAt: started, runnerId: opts.runnerId ?? null },
  });
  if (claimed.count === 0) return null;
  const fit = await db.fit.findUniqueOrThrow({ where: { id: fitId } });
  // every later write is this claim's: a fit requeued from under a stalled runner is not overwritten
  const mine = { id: fit.id, state: "RUNNING" as const, runnerId: opts.runnerId ?? null };
  const seconds = () => (now().getTime() - started.getTime()) / 1000;
  try {
    const study = parseStudyRow(
      await db.study.findFirstOrThrow({ where: { id: fit.studyId, orgId: fit.orgId } }),
    );
    const { trainFit } = await import("./fitTrain.ts");
    let dataset: unknown;
    let task: Task | undefined;
    if (study.datasetId) {
      const row = await db.dataset.findFirstOrThrow({
        where: { id: study.datasetId, orgId: fit.orgId },
        select: { data: true },
      });
      dataset = row.data;
      // without a builder trainFit builds the task itself (on this event loop)
      if (opts.buildTask) task = await opts.buildTask(dataset);
    }
    const spec = {
      ...buildTrialSpec(study, { number: fit.trialNumber, params: fit.params }, opts.backend, dataset),
      replicas: fit.replicas,
    };
    const cancel = new AbortController();
    if (opts.signal?.aborted) cancel.abort();
    else opts.signal?.addEventListener("abort", () => cancel.abort(), { once: true });
    let lastWrite = 0;
    const outcome = await trainFit(spec, {
      ...(task ? { task } : {}),
      ...(opts.trainer ? { trainer: opts.trainer } : {}),
      rule: postfitRuleSchema.parse(fit.postfitRule),
      signal: cancel.signal,
      onReport: async (r) => {
        // progress at most once a second; a fit no longer RUNNING (cancelled) stops training
        if (Date.now() - lastWrite < 1000) return;
        lastWrite = Date.now();
        const n = await db.fit.updateMany({
          where: mine,
          data: { progress: Math.min(1, r.epoch / spec.maxEpochs), runnerSeconds: seconds() },
        });
        if (n.count === 0) cancel.abort();
      },
    });
    if (opts.signal?.aborted) return await handBack(db, mine);
    const summary = fitOutcomeSummary(outcome);
    const done = await db.fit.updateMany({
      where: mine,
      data: {
        state: "COMPLETED",
        progress: 1,
        runnerSeconds: seconds(),
        finishedAt: now(),
        kept: summary.kept,
        discarded: summary.discarded,
        outcome: JSON.parse(JSON.stringify(summary)),
        // NaN/∞ are not JSON: JSON.stringify writes null for them, as the summary's readers expect
        artifact: JSON.parse(JSON.stringify(outcome)),
      },
    });
    return done.count === 1 ? "COMPLETED" : "CANCELLED";
  } catch (err) {
    if (opts.signal?.aborted) return await handBack(db, mine);
    const message = err instanceof Error ? err.message : String(err);
    await db.fit.updateMany({
      where: mine,
      data: { state: "FAILED", error: message.slice(0, 2000), finishedAt: now(), runnerSeconds: seconds() },
    });
    return "FAILED";
  }
}

/**
 * A completed fit's export: `lhapdf` the LHAPDF6 set's files by name (fitLhapdf.ts), `weights` the
 * kept replicas' weights (fitWeights.ts, format hyperensemble-weights/1), `json` the summary and every
 * replica's outputs on the grid.
 */
async function handBack(db: Db, mine: { id: string; state: "RUNNING"; runnerId: string | null }) {
  await db.fit.updateMany({
    where: mine,
    data: { state: "QUEUED", runnerId: null, startedAt: null, progress: 0 },
  });
  return "QUEUED" as const;
}

export function fitExport(
  fit: { id: string; state: string; artifact: unknown; outcome: unknown },
  format: FitExportFormat,
): { files: Record<string, string> } | Record<string, unknown> {
  if (fit.state !== "COMPLETED" || !fit.artifact)
    throw new StudyInputError("fitId", `fit is ${fit.state}: only a COMPLETED fit can be exported`);
  const outcome = fit.artifact as FitOutcome;
  if (format === "weights") return fitWeights(outcome) as unknown as Record<string, unknown>;
  if (format === "json")
    return { summary: fit.outcome, x: outcome.x, outputNames: outcome.outputNames, outputs: outcome.outputs };
  const kept = outcome.selection.kept.map((r) => outcome.replicas.findIndex((s) => s.replica === r));
  if (kept.length === 0)
    throw new StudyInputError("fitId", "no replica passed the post-fit selection: there is no set to export");
  return {
    files: lhapdfSet({
      name: `hens_${fit.id}`,
      description: `HyperEnsemble fit ${fit.id}: ${kept.length} kept replicas of ${outcome.replicas.length}`,
      x: outcome.x,
      replicas: kept.map((s) => outcome.outputs[s]!),
      nOutputs: outcome.outputNames.length,
    }),
  };
}
