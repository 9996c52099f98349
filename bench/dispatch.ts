import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createDb, type Db, migrateDatabase } from "@hyperensemble/db";
import { startEmbeddedPostgres } from "@hyperensemble/db/embedded";
import {
  admitProposal,
  decentralizedProposal,
  fillQueue,
  readProposalHistory,
} from "@hyperensemble/platform";
import { closeAll, createQueueConnection, trialQueue } from "@hyperensemble/queue";
import {
  freePort,
  queueEnqueuer,
  type RunnerProcess,
  seedOrg,
  seedStudy,
  spawnRunner,
  startRedis,
  stopRunners,
  waitFor,
} from "../apps/gpu-runner/src/fleet.test-helpers.ts";
import { percentile, simulateFleet } from "./dispatch-sim.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNNERS = arg("runners", 32);
const PER_RUNNER = arg("trials-per-runner", 12);
const TRIAL_MS = arg("trial-ms", 2000);
const outIndex = process.argv.indexOf("--out");
const OUT_FILE = outIndex >= 0 ? String(process.argv[outIndex + 1]) : "dispatch.json";
const MODES = ["centralised", "decentralized"] as const;
type Mode = (typeof MODES)[number];

interface Timing {
  trialId: string;
  studyId: string;
  mode: string;
  enqueuedAt?: number;
  startedAt: number;
  trainedAt: number;
  finishedAt: number;
  outcome: string;
  runner: string;
}

const median = (xs: number[]) => percentile(xs, 0.5);

/** Utilisation over [first start, last start] and over the whole run, from runner timings. */
function analyse(timings: Timing[], runners: number) {
  const done = timings.filter((t) => t.outcome === "complete");
  const w0 = Math.min(...done.map((t) => t.startedAt));
  const w1 = Math.max(...done.map((t) => t.startedAt));
  const end = Math.max(...done.map((t) => t.trainedAt));
  const busyIn = (a: number, b: number) =>
    done.reduce((sum, t) => sum + Math.max(0, Math.min(t.trainedAt, b) - Math.max(t.startedAt, a)), 0);
  const latencies = done.filter((t) => t.enqueuedAt !== undefined).map((t) => t.startedAt - t.enqueuedAt!);
  // Per runner: gaps between one trial's end of training and its next trial's start.
  const byRunner = new Map<string, Timing[]>();
  for (const t of done) byRunner.set(t.runner, [...(byRunner.get(t.runner) ?? []), t]);
  const gaps: number[] = [];
  const completion: number[] = [];
  for (const list of byRunner.values()) {
    list.sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 0; i < list.length; i++) {
      completion.push(list[i]!.finishedAt - list[i]!.trainedAt);
      if (i > 0) gaps.push(list[i]!.startedAt - list[i - 1]!.trainedAt);
    }
  }
  return {
    trials: done.length,
    utilisation: busyIn(w0, w1) / (runners * (w1 - w0)),
    utilisationWholeRun: busyIn(w0, end) / (runners * (end - w0)),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    gapP50Ms: median(gaps),
    gapP99Ms: percentile(gaps, 0.99),
    latencies,
    completion,
  };
}

class Rollback extends Error {
  constructor(readonly value: number) {
    super("rollback");
  }
}

/** Server-side execution time of the decentralized admission INSERT (same statement as admitProposal). */
async function admissionExecutionMs(
  db: Db,
  ref: { orgId: string; studyId: string },
  params: Record<string, unknown>,
): Promise<number> {
  try {
    await db.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ "QUERY PLAN": { "Execution Time": number }[] }[]>(
        `EXPLAIN (ANALYZE, FORMAT JSON)
        INSERT INTO "Trial" ("id", "orgId", "studyId", "number", "params", "queuedAt")
        SELECT gen_random_uuid()::text, s."orgId", s."id", c.total, $1::jsonb, now()
        FROM "Study" s
        CROSS JOIN LATERAL (
          SELECT count(*)::int AS total,
                 (count(*) FILTER (WHERE t."state" IN ('WAITING', 'RUNNING')))::int AS pending
          FROM "Trial" t WHERE t."studyId" = s."id") c
        WHERE s."id" = $2 AND s."orgId" = $3 AND s."state" IN ('QUEUED', 'RUNNING')
          AND c.total < s."maxTrials" AND c.pending < s."parallelism"`,
        JSON.stringify(params),
        ref.studyId,
        ref.orgId,
      );
      throw new Rollback(rows[0]?.["QUERY PLAN"][0]?.["Execution Time"] ?? 0);
    });
  } catch (error) {
    if (error instanceof Rollback) return error.value;
    throw error;
  }
  return 0;
}

/** Server time of a commit: an empty transaction minus a plain round trip. */
async function commitMs(db: Db): Promise<number> {
  let t0 = performance.now();
  await db.$queryRaw`SELECT 1`;
  const rtt = performance.now() - t0;
  t0 = performance.now();
  await db.$transaction([db.$queryRaw`SELECT 1`]);
  return Math.max(0, performance.now() - t0 - 3 * rtt);
}

/** Uncontended time of the serialised step per trial: the locked fill (centralised) or one admission. */
async function serialServiceMs(db: Db, orgId: string, ownerId: string, mode: Mode, history: number) {
  const study = await seedStudy(db, orgId, ownerId, { trials: 100_000, parallelism: 1, mode });
  const ref = { orgId, studyId: study.id };
  const noQueue = { enqueue: async () => {} };
  const samples: number[] = [];
  const proposeMs: number[] = [];
  for (let i = 0; i < history + 30; i++) {
    const pending = await db.trial.findFirst({ where: { studyId: study.id, state: "WAITING" } });
    if (pending) {
      await db.trial.update({
        where: { id: pending.id },
        data: {
          state: "COMPLETE",
          result: {
            create: {
              orgId,
              value: Math.random(),
              L1: 1,
              L2: 1,
              L3: 1,
              phi2: 0,
              foldChi2: [],
              foldPhi2: [],
              foldCentralChi2: [],
              replicaChi2: [],
              epochs: 1,
              backend: "synthetic",
              durationSeconds: 0,
            },
          },
        },
      });
    }
    const t0 = performance.now();
    if (mode === "decentralized" && i > 0) {
      const h = await readProposalHistory(db, ref);
      const proposal = decentralizedProposal(h!, "bench-worker", study.id).params;
      proposeMs.push(performance.now() - t0);
      // Lock-free: racing admissions clash only while their statements overlap inside the server,
      // so the serialised time is the statement's execution there: EXPLAIN ANALYZE of the same
      // INSERT in a rolled-back transaction, plus the commit (timed as an empty transaction).
      if (i >= history) {
        samples.push((await admissionExecutionMs(db, ref, proposal)) + (await commitMs(db)));
      }
      await admitProposal(db, ref, proposal);
    } else {
      // Centralised: the whole locked transaction (history read, sampler, insert) holds the lock.
      await fillQueue(db, noQueue, ref);
      if (i >= history) samples.push(performance.now() - t0);
    }
  }
  return { serialMs: median(samples), proposeMs: proposeMs.length ? median(proposeMs.slice(-30)) : 0 };
}

async function main() {
  // One organisation's dispatch throughput, as measured before quotas were on by default: no
  // admission limit (the default 256 would serialise its fills per organisation and route the
  // decentralized mode's follow-ups through the locked fill). Inherited by the spawned runners.
  process.env["HENS_ORG_MAX_ACTIVE_TRIALS"] ??= "0";
  const started = Date.now();
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hens-bench-dispatch-"));
  const timingsDir = path.join(tmp, "timings");
  mkdirSync(timingsDir);
  const [pgPort, redisPort] = await Promise.all([freePort(), freePort()]);
  console.log(`[bench] starting Postgres and Redis (${tmp})`);
  const pgServer = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "pg"),
    port: pgPort,
    database: "hens",
    ephemeral: true,
  });
  const redis = await startRedis(redisPort);
  const runners: RunnerProcess[] = [];
  const db = createDb(pgServer.url, { max: 4 });
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const queue = trialQueue(createQueueConnection({ redisUrl, namespace: "bench" }));
  try {
    await migrateDatabase(pgServer.url);
    const { org, user } = await seedOrg(db);
    console.log(`[bench] spawning ${RUNNERS} runner processes (synthetic ${TRIAL_MS} ms trials)`);
    const t0 = Date.now();
    for (let i = 0; i < RUNNERS; i++) {
      runners.push(
        spawnRunner(`bench-${i}`, {
          REDIS_URL: redisUrl,
          DATABASE_URL: pgServer.url,
          QUEUE_NAMESPACE: "bench",
          RUNNER_SYNTHETIC_TRIAL_MS: String(TRIAL_MS),
          RUNNER_TIMINGS_FILE: path.join(timingsDir, `bench-${i}.jsonl`),
          RUNNER_DB_POOL: "3",
          HEARTBEAT_MS: "2000",
          STALE_AFTER_MS: "20000",
          REAPER_INTERVAL_MS: "5000",
          FILL_SWEEP_MS: "30000",
        }),
      );
    }
    await Promise.all(runners.map((r) => r.ready));
    console.log(`[bench] runners ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // Warm-up: one short study so every runner has loaded its code paths and connections.
    const warm = await seedStudy(db, org.id, user.id, { trials: RUNNERS, parallelism: RUNNERS });
    await fillQueue(db, queueEnqueuer(queue), { orgId: org.id, studyId: warm.id });
    await waitFor(
      "warm-up",
      async () => (await db.study.findUnique({ where: { id: warm.id } }))?.state === "COMPLETED",
      180_000,
      500,
    );

    const measured: Record<string, ReturnType<typeof analyse> & { wallS: number }> = {};
    for (const mode of MODES) {
      const study = await seedStudy(db, org.id, user.id, {
        trials: RUNNERS * PER_RUNNER,
        parallelism: RUNNERS,
        mode,
        seed: 7,
      });
      const m0 = Date.now();
      await fillQueue(db, queueEnqueuer(queue), { orgId: org.id, studyId: study.id });
      await waitFor(
        `${mode} study`,
        async () => (await db.study.findUnique({ where: { id: study.id } }))?.state === "COMPLETED",
        300_000,
        250,
      );
      const wallS = (Date.now() - m0) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 500)); // timings flushed by runners
      const timings: Timing[] = [];
      for (const file of await fs.readdir(timingsDir)) {
        for (const line of readFileSync(path.join(timingsDir, file), "utf8").split("\n")) {
          if (!line) continue;
          const t = JSON.parse(line) as Timing;
          if (t.studyId === study.id) timings.push(t);
        }
      }
      measured[mode] = { ...analyse(timings, RUNNERS), wallS };
      const r = measured[mode];
      console.log(
        `[bench] ${mode}: ${r.trials} trials in ${wallS.toFixed(1)} s, utilisation ${(100 * r.utilisation).toFixed(2)}%, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
      );
    }
    await stopRunners(runners);
    // Anything unusual the runners logged (hand-backs, reaps, failed fills) is part of the result.
    const unusual = runners.flatMap((r) =>
      r
        .output()
        .split("\n")
        .filter((line) => /failed|reaped|released|skipped|error/i.test(line)),
    );
    console.log(`[bench] runner log lines about failures, reaps or hand-backs: ${unusual.length}`);
    for (const line of unusual.slice(0, 15)) console.log(`  ${line.slice(0, 240)}`);

    // The serialised step, uncontended, with a history like the measured run's.
    const serial: Record<string, { serialMs: number; proposeMs: number }> = {};
    for (const mode of MODES)
      serial[mode] = await serialServiceMs(db, org.id, user.id, mode, RUNNERS * PER_RUNNER);

    const rows: Record<string, unknown>[] = [];
    for (const mode of MODES) {
      const m = measured[mode]!;
      rows.push({
        mode,
        workers: RUNNERS,
        utilisation: m.utilisation,
        p50Ms: m.p50Ms,
        p99Ms: m.p99Ms,
        simulated: false,
        utilisationWholeRun: m.utilisationWholeRun,
        trials: m.trials,
        trialMs: TRIAL_MS,
        wallSeconds: m.wallS,
        gapP50Ms: m.gapP50Ms,
        gapP99Ms: m.gapP99Ms,
        serialMs: serial[mode]!.serialMs,
        proposeMs: serial[mode]!.proposeMs,
      });
      const projections = [RUNNERS, 100, 500, 2000].map((workers) => ({ workers, trialMs: TRIAL_MS }));
      // Real trials train for minutes; one longer length shows how the limits move with it.
      projections.push({ workers: 2000, trialMs: 60_000 });
      for (const { workers, trialMs } of projections) {
        const sim = simulateFleet({
          workers,
          trialMs,
          completionMs: m.completion,
          pickupMs: m.latencies,
          serialMs: serial[mode]!.serialMs,
        });
        rows.push({
          mode,
          workers,
          utilisation: sim.utilisation,
          p50Ms: sim.p50Ms,
          p99Ms: sim.p99Ms,
          simulated: true,
          trialMs,
          serialMs: serial[mode]!.serialMs,
        });
      }
    }
    const out = {
      benchmark: "dispatch",
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, loadavg: os.loadavg(), node: process.version },
      runners: RUNNERS,
      trialsPerRunner: PER_RUNNER,
      trialMs: TRIAL_MS,
      queue: "BullMQ 6.7 on Redis",
      note: "measured rows: runner processes on this machine; simulated rows: discrete-event projection (bench/dispatch-sim.ts) from the measured overheads; Postgres/Redis capacity not modelled",
      results: rows,
    };
    const dir = path.join(here, "results");
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, OUT_FILE), `${JSON.stringify(out, null, 2)}\n`);

    const pct = (x: unknown) => `${(100 * (x as number)).toFixed(2)}%`;
    console.log("\nmode           workers  trial s  utilisation  p50 ms  p99 ms  source");
    for (const r of rows) {
      console.log(
        `${String(r["mode"]).padEnd(14)} ${String(r["workers"]).padStart(7)}  ${String((r["trialMs"] as number) / 1000).padStart(7)}  ${pct(r["utilisation"]).padStart(11)}  ${String(Math.round(r["p50Ms"] as number)).padStart(6)}  ${String(Math.round(r["p99Ms"] as number)).padStart(6)}  ${r["simulated"] ? "simulated" : "measured"}`,
      );
    }
    for (const mode of MODES) {
      const s = serial[mode]!;
      console.log(
        `${mode}: serialised step ${s.serialMs.toFixed(2)} ms/trial (uncontended)${mode === "decentralized" ? `, proposal (RF + UCB, off the lock, overlaps training) ${s.proposeMs.toFixed(1)} ms` : ""}; measured whole-run utilisation incl. drain ${pct(measured[mode]!.utilisationWholeRun)}`,
      );
    }
    console.log(
      `load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")} on ${os.cpus().length} cores`,
    );
    console.log(`[bench] wrote bench/results/${OUT_FILE} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await stopRunners(runners, "SIGKILL");
    await closeAll(queue).catch(() => undefined);
    await db.$disconnect().catch(() => undefined);
    redis.kill("SIGKILL");
    await pgServer.stop().catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
