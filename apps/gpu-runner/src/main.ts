import { createServer } from "node:http";
import os from "node:os";
import { createDb, databaseUrl, reapStaleTrials } from "@hyperensemble/db";
import { selectBackend } from "@hyperensemble/engine";
import { fillQueue, requeueWaitingTrials, type TrialJob } from "@hyperensemble/platform";
import {
  createQueueConnection,
  createTrialWorker,
  enqueueTrial,
  requeueTrial,
  trialQueue,
} from "@hyperensemble/queue";
import { loadRunnerEnv } from "./env.ts";
import { processTrialJob } from "./processTrial.ts";

const env = loadRunnerEnv();
const db = createDb();
const backend = (await selectBackend(env.ENGINE_BACKEND)) as "tensorflow" | "webgpu" | "wasm" | "cpu";
const connection = createQueueConnection({ databaseUrl: databaseUrl() });
const queue = trialQueue(connection);
const enqueuer = {
  enqueue: async (job: TrialJob) => {
    await enqueueTrial(queue, job);
  },
};
// A trial back in WAITING may still have a finished job under its id: requeue replaces that one.
const requeuer = {
  enqueue: async (job: TrialJob) => {
    await requeueTrial(queue, job);
  },
};

const runner = await db.runner.create({
  data: {
    name: env.RUNNER_NAME,
    backend,
    concurrency: env.RUNNER_CONCURRENCY,
    device: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      memoryBytes: os.totalmem(),
      gpu: null,
    },
  },
});
const log = (msg: string) => console.log(`[runner ${env.RUNNER_NAME}] ${msg}`);
log(`registered ${runner.id}, backend ${backend}, concurrency ${env.RUNNER_CONCURRENCY}`);

const shutdown = new AbortController();
let lastHeartbeat = Date.now();
let busy = 0;
let trialsDone = 0;

const worker = createTrialWorker(
  connection,
  async (job, cancelSignal) => {
    busy += 1;
    try {
      const outcome = await processTrialJob(
        { db, enqueuer, runnerId: runner.id, backend, heartbeatMs: env.HEARTBEAT_MS },
        job.data,
        shutdown.signal,
        cancelSignal,
      );
      if (outcome.kind !== "skipped") trialsDone += 1;
      log(`trial ${job.data.trialId}: ${JSON.stringify(outcome)}`);
      return outcome;
    } finally {
      busy -= 1;
    }
  },
  {
    concurrency: env.RUNNER_CONCURRENCY,
    // Control channel: trials no longer RUNNING here (cancelled study, reaped attempt) are aborted.
    cancelled: async (trialIds) => {
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
      data: { heartbeatAt: new Date(), state: busy > 0 ? "BUSY" : "IDLE" },
    })
    .then(() => {
      lastHeartbeat = Date.now();
    })
    .catch((e: unknown) => log(`heartbeat failed: ${String(e)}`));
}, env.HEARTBEAT_MS);

// Every runner also reaps: a trial whose heartbeat lapsed goes back to WAITING as a new attempt and
// is re-enqueued (same jobId, so a job BullMQ still holds is not duplicated). Safe when reapers race.
const reaper = setInterval(() => {
  reapStaleTrials(db, env.STALE_AFTER_MS, new Date())
    .then(async (reaped) => {
      for (const t of reaped) {
        if (t.state === "WAITING")
          await enqueuer.enqueue({ trialId: t.id, studyId: t.studyId, orgId: t.orgId });
        else await fillQueue(db, enqueuer, { orgId: t.orgId, studyId: t.studyId });
        log(`reaped trial ${t.id} → ${t.state} (attempt ${t.attempt})`);
      }
      // WAITING trials whose job is gone (enqueue failed after commit, or handed back) are re-added.
      await requeueWaitingTrials(db, requeuer, env.STALE_AFTER_MS, new Date());
    })
    .catch((e: unknown) => log(`reaper failed: ${String(e)}`));
}, env.REAPER_INTERVAL_MS);

const http = createServer((req, res) => {
  if (req.url === "/healthz") {
    const fresh = Date.now() - lastHeartbeat < env.HEARTBEAT_MS * 3;
    res.writeHead(fresh ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ heartbeat: fresh ? "ok" : "stale", busy }));
  } else if (req.url === "/metrics") {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(
      [
        "# HELP hens_runner_busy_trials Trials running on this runner.",
        "# TYPE hens_runner_busy_trials gauge",
        `hens_runner_busy_trials ${busy}`,
        "# HELP hens_runner_concurrency Trial slots on this runner.",
        "# TYPE hens_runner_concurrency gauge",
        `hens_runner_concurrency ${env.RUNNER_CONCURRENCY}`,
        "# HELP hens_runner_trials_total Trials finished by this runner.",
        "# TYPE hens_runner_trials_total counter",
        `hens_runner_trials_total ${trialsDone}`,
        "",
      ].join("\n"),
    );
  } else {
    res.writeHead(404).end();
  }
});
if (env.RUNNER_HTTP_PORT > 0) http.listen(env.RUNNER_HTTP_PORT);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: finishing running trials (grace ${env.SHUTDOWN_GRACE_MS} ms)`);
  const grace = setTimeout(() => {
    log("grace period over: handing running trials back");
    shutdown.abort();
  }, env.SHUTDOWN_GRACE_MS);
  await worker.close();
  clearTimeout(grace);
  clearInterval(heartbeat);
  clearInterval(reaper);
  http.close();
  await db.runner.update({ where: { id: runner.id }, data: { state: "OFFLINE" } }).catch(() => undefined);
  await queue.close();
  await db.$disconnect();
  log("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
