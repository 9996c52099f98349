// A GPU runner: registers itself, takes trial jobs from BullMQ, claims and runs them with the
// engine (or synthetically), heartbeats, reaps stale trials of dead runners, keeps studies filled,
// and serves /healthz and /metrics.
import { createWriteStream } from "node:fs";
import { createServer } from "node:http";
import { createDb, databaseUrl, reapStaleTrials } from "@hyperensemble/db";
import {
  type EnqueueOptions,
  fillActiveStudies,
  fillQueue,
  limitsFromEnv,
  reapLapsedLeases,
  requeueWaitingTrials,
  type TrialJob,
} from "@hyperensemble/platform";
import {
  createQueueConnection,
  createTrialWorker,
  queueDepth,
  queueEnqueuer,
  queueRequeuer,
  trialQueue,
} from "@hyperensemble/queue";
import { DatasetTaskCache } from "./datasetTasks.ts";
import { detectDevice } from "./device.ts";
import type { RunnerEnv } from "./env.ts";
import { startFitLoop } from "./fitLoop.ts";
import { Histogram, type RunnerStats, renderMetrics } from "./metrics.ts";
import { loadEngine, processTrialJob, type TrialTiming } from "./processTrial.ts";

export interface RunningRunner {
  runnerId: string;
  /** Stop taking jobs, let running trials finish within the grace period (else hand them back). */
  stop(reason: string): Promise<void>;
}

export async function startRunner(env: RunnerEnv): Promise<RunningRunner> {
  // Quotas (HENS_MAX_TRIAL_SECONDS, HENS_ORG_MAX_ACTIVE_TRIALS, …): a bad value stops the runner at
  // start, naming the variable, rather than failing every trial.
  limitsFromEnv();
  const db = createDb(databaseUrl(), { max: env.RUNNER_DB_POOL });
  const synthetic = env.RUNNER_SYNTHETIC_TRIAL_MS;
  const backend =
    synthetic === undefined
      ? ((await (await loadEngine()).selectBackend(env.ENGINE_BACKEND)) as
          | "tensorflow"
          | "webgpu"
          | "wasm"
          | "cpu")
      : undefined;
  // The kernel is chosen once, at start: an explicit ENGINE_TRAINER that cannot run here fails now,
  // naming what is missing, rather than on every trial. TF.js needs no trainer (runTrial's default).
  const selected =
    synthetic === undefined ? await (await loadEngine()).selectTrainer(env.ENGINE_TRAINER) : undefined;
  const trainer = selected && selected.kind !== "tfjs" ? selected : undefined;
  const connection = createQueueConnection({ databaseUrl: databaseUrl(), namespace: env.QUEUE_NAMESPACE });
  const queue = trialQueue(connection, { name: env.QUEUE_NAME });
  const enqueuer = queueEnqueuer(queue);
  // A trial back in WAITING may still have a finished job under its id: requeue replaces that one.
  const requeuer = queueRequeuer(queue);

  const runner = await db.runner.create({
    data: {
      name: env.RUNNER_NAME,
      backend: trainer ? trainer.name : (backend ?? "synthetic"),
      concurrency: env.RUNNER_CONCURRENCY,
      device: await detectDevice(),
    },
  });
  const log = (msg: string) => console.log(`[runner ${env.RUNNER_NAME}] ${msg}`);
  log(
    `registered ${runner.id}, backend ${trainer?.name ?? backend ?? "synthetic"}, concurrency ${env.RUNNER_CONCURRENCY}` +
      (backend && env.RUNNER_PACK_MAX_MEMBERS > 0
        ? `, packing up to ${env.RUNNER_PACK_MAX_MEMBERS} members`
        : ""),
  );

  const startedAt = performance.now();
  const shutdown = new AbortController();
  const running = new Map<string, number>(); // trial id → performance.now() at start
  const stats = { busySeconds: 0, failures: 0, outcomes: {} as Record<string, number> };
  let queueStats: RunnerStats["queue"];
  let lastHeartbeat = Date.now();
  const dispatch = new Histogram(
    "hens_runner_dispatch_latency_seconds",
    "Enqueue of a trial's job to the start of its training on this runner.",
    [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );
  const duration = new Histogram(
    "hens_runner_trial_duration_seconds",
    "Wall time of trials on this runner (claim to end).",
    [1, 2, 5, 10, 30, 60, 300, 900, 3600, 14400],
  );
  const timings = env.RUNNER_TIMINGS_FILE
    ? createWriteStream(env.RUNNER_TIMINGS_FILE, { flags: "a" })
    : undefined;
  const followUps = new Set<Promise<unknown>>();
  const datasetTasks = new DatasetTaskCache(env.RUNNER_DATASET_CACHE);
  const onTiming = (t: TrialTiming) => {
    if (t.enqueuedAt !== undefined) dispatch.observe(Math.max(0, t.startedAt - t.enqueuedAt) / 1000);
    duration.observe((t.finishedAt - t.startedAt) / 1000);
    timings?.write(`${JSON.stringify({ ...t, runner: env.RUNNER_NAME })}\n`);
  };

  const worker = createTrialWorker(
    connection,
    async (job, cancelSignal) => {
      const outcome = await processTrialJob(
        {
          db,
          enqueuer,
          runnerId: runner.id,
          workerId: env.RUNNER_NAME,
          ...(backend ? { backend } : {}),
          ...(trainer ? { trainer } : {}),
          heartbeatMs: env.HEARTBEAT_MS,
          staleMs: env.STALE_AFTER_MS,
          ...(synthetic !== undefined ? { syntheticTrialMs: synthetic } : {}),
          packMaxMembers: env.RUNNER_PACK_MAX_MEMBERS,
          packMinWaitMs: env.RUNNER_PACK_MIN_WAIT_MS,
          datasetTasks,
          onPackedOutcome: (trialId, outcome) => {
            stats.outcomes[outcome.kind] = (stats.outcomes[outcome.kind] ?? 0) + 1;
            if (outcome.kind === "failed") stats.failures += 1;
            if (outcome.kind !== "complete") log(`trial ${trialId} (packed): ${JSON.stringify(outcome)}`);
          },
          onTiming,
          onStart: (trialId) => running.set(trialId, performance.now()),
          onEnd: (trialId) => {
            const t0 = running.get(trialId);
            if (t0 !== undefined) stats.busySeconds += (performance.now() - t0) / 1000;
            running.delete(trialId);
          },
          followUp: (work) => {
            const tracked = work
              .catch((e: unknown) => log(`follow-up fill failed: ${String(e)}`))
              .finally(() => followUps.delete(tracked));
            followUps.add(tracked);
          },
        },
        job.data,
        shutdown.signal,
        cancelSignal,
        job.timestamp,
      );
      stats.outcomes[outcome.kind] = (stats.outcomes[outcome.kind] ?? 0) + 1;
      if (outcome.kind === "failed") stats.failures += 1;
      if (outcome.kind !== "complete" && outcome.kind !== "skipped")
        log(`trial ${job.data.trialId}: ${JSON.stringify(outcome)}`);
      return outcome;
    },
    {
      name: env.QUEUE_NAME,
      concurrency: env.RUNNER_CONCURRENCY,
      lockDurationMs: env.QUEUE_LOCK_MS,
      stalledIntervalMs: env.QUEUE_LOCK_MS,
      cancelPollMs: env.CANCEL_POLL_MS,
      // Control channel: trials no longer RUNNING here (cancelled study, reaped attempt) are aborted.
      cancelled: async (jobIds) => {
        // Only trials this runner has claimed: a job still before its claim reads as WAITING.
        const trialIds = jobIds.filter((id) => running.has(id));
        if (trialIds.length === 0) return [];
        const rows = await db.$queryRaw<{ id: string }[]>`
          SELECT t."id" FROM "Trial" t JOIN "Study" s ON s."id" = t."studyId"
          WHERE t."id" = ANY(${trialIds}::text[])
            AND (t."state" <> 'RUNNING' OR t."runnerId" IS DISTINCT FROM ${runner.id} OR s."state" = 'CANCELLED')`;
        return rows.map((r) => r.id);
      },
    },
  );

  const heartbeat = setInterval(() => {
    db.runner
      .update({
        where: { id: runner.id },
        data: {
          heartbeatAt: new Date(),
          state: running.size > 0 ? "BUSY" : "IDLE",
          busySeconds: stats.busySeconds,
        },
      })
      .then(() => {
        lastHeartbeat = Date.now();
      })
      .catch((e: unknown) => log(`heartbeat failed: ${String(e)}`));
  }, env.HEARTBEAT_MS);

  // Every runner also reaps: a trial whose heartbeat lapsed goes back to WAITING as a new attempt and
  // is re-enqueued (a job BullMQ still holds is left to redeliver). Safe when reapers race.
  let reaping = false;
  let lastSweep = Date.now();
  const reaper = setInterval(() => {
    if (reaping) return;
    reaping = true;
    reapStaleTrials(db, env.STALE_AFTER_MS, new Date())
      .then(async (reaped) => {
        for (const t of reaped) {
          if (t.state === "WAITING")
            await requeuer.enqueue({ trialId: t.id, studyId: t.studyId, orgId: t.orgId });
          else await fillQueue(db, enqueuer, { orgId: t.orgId, studyId: t.studyId });
          log(`reaped trial ${t.id} → ${t.state} (attempt ${t.attempt})`);
        }
        // External workers whose lease lapsed: their trials wait for the next ask (never the queue);
        // a trial out of attempts fails, and its study may be complete now.
        for (const t of await reapLapsedLeases(db, new Date())) {
          if (t.state === "FAIL") await fillQueue(db, enqueuer, { orgId: t.orgId, studyId: t.studyId });
          log(`external lease of trial ${t.id} lapsed → ${t.state}`);
        }
        // WAITING trials whose job is gone (enqueue failed after commit, or handed back) are re-added;
        // studies held back by admission, or whose follow-up fill died with a runner, are topped up.
        await requeueWaitingTrials(db, requeuer, env.STALE_AFTER_MS, new Date());
        if (Date.now() - lastSweep >= env.FILL_SWEEP_MS) {
          lastSweep = Date.now();
          await fillActiveStudies(db, enqueuer, new Date(), {
            onError: (study, error) =>
              log(`top-up of study ${study.id} (org ${study.orgId}) skipped: ${String(error)}`),
          });
        }
      })
      .catch((e: unknown) => log(`reaper failed: ${String(e)}`))
      .finally(() => {
        reaping = false;
      });
  }, env.REAPER_INTERVAL_MS);

  const queuePoll = setInterval(() => {
    queueDepth(queue)
      .then((d) => {
        queueStats = { pending: d.pending, active: d.active, delayed: d.delayed, failed: d.failed };
      })
      .catch(() => {
        queueStats = undefined;
      });
  }, env.METRICS_QUEUE_POLL_MS);

  const http = createServer((req, res) => {
    if (req.url === "/healthz") {
      const fresh = Date.now() - lastHeartbeat < env.HEARTBEAT_MS * 3;
      res.writeHead(fresh ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ heartbeat: fresh ? "ok" : "stale", busy: running.size }));
    } else if (req.url === "/metrics") {
      const nowMs = performance.now();
      let busySeconds = stats.busySeconds;
      for (const t0 of running.values()) busySeconds += (nowMs - t0) / 1000;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(
        renderMetrics(
          {
            concurrency: env.RUNNER_CONCURRENCY,
            busy: running.size,
            busySeconds,
            uptimeSeconds: (nowMs - startedAt) / 1000,
            outcomes: stats.outcomes,
            failures: stats.failures,
            queue: queueStats,
          },
          [dispatch, duration],
        ),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  if (env.RUNNER_HTTP_PORT > 0) http.listen(env.RUNNER_HTTP_PORT);
  const fits =
    synthetic === undefined
      ? startFitLoop({
          db,
          runnerId: runner.id,
          ...(backend ? { backend } : {}),
          ...(trainer ? { trainer } : {}),
          idle: () => running.size === 0,
          log,
          staleMs: env.STALE_AFTER_MS,
          signal: shutdown.signal,
        })
      : undefined;
  log("ready");

  let stopping: Promise<void> | undefined;
  const stop = (reason: string) => {
    stopping ??= (async () => {
      log(`${reason}: finishing running trials (grace ${env.SHUTDOWN_GRACE_MS} ms)`);
      const grace = setTimeout(() => {
        log("grace period over: handing running trials back");
        shutdown.abort();
      }, env.SHUTDOWN_GRACE_MS);
      await Promise.all([worker.close(), fits?.stop()]);
      clearTimeout(grace);
      await Promise.allSettled([...followUps]);
      clearInterval(heartbeat);
      clearInterval(reaper);
      clearInterval(queuePoll);
      http.close();
      await db.runner
        .update({ where: { id: runner.id }, data: { state: "OFFLINE", busySeconds: stats.busySeconds } })
        .catch(() => undefined);
      await queue.close().catch(() => undefined);
      await new Promise<void>((resolve) => (timings ? timings.end(resolve) : resolve()));
      await db.$disconnect();
      log("stopped");
    })();
    return stopping;
  };
  return { runnerId: runner.id, stop };
}
