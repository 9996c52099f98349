// Test helpers: runner processes (synthetic trials) spawned against a test database and queue
// namespace, and studies seeded straight into Postgres.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Db } from "@hyperensemble/db";
import { fillQueue } from "@hyperensemble/platform";
import { queueEnqueuer, type TrialQueue } from "@hyperensemble/queue";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const SMALL_SPACE = {
  learning_rate: { type: "float", low: 1e-4, high: 1e-1, log: true },
  units_1: { type: "int", low: 4, high: 64 },
  activation: { type: "categorical", choices: ["tanh", "relu"] },
};

export interface RunnerProcess {
  child: ChildProcess;
  name: string;
  output(): string;
  ready: Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

export function spawnRunner(name: string, env: Record<string, string>): RunnerProcess {
  const child = spawn(process.execPath, ["--import", require.resolve("tsx"), path.join(here, "main.ts")], {
    env: {
      ...process.env,
      RUNNER_NAME: name,
      RUNNER_HTTP_PORT: "0",
      HEARTBEAT_MS: "500",
      STALE_AFTER_MS: "2500",
      REAPER_INTERVAL_MS: "1000",
      FILL_SWEEP_MS: "3000",
      QUEUE_LOCK_MS: "2000",
      SHUTDOWN_GRACE_MS: "2000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes("] ready")) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
    exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`runner ${name} exited (${code}) before ready:\n${output}`));
    });
  });
  ready.catch(() => undefined);
  return { child, name, output: () => output, ready, exited };
}

export async function stopRunners(runners: RunnerProcess[], signal: NodeJS.Signals = "SIGTERM") {
  for (const r of runners) if (r.child.exitCode === null) r.child.kill(signal);
  await Promise.race([
    Promise.all(runners.map((r) => r.exited)),
    new Promise((resolve) => setTimeout(resolve, 8_000)),
  ]);
  for (const r of runners) if (r.child.exitCode === null) r.child.kill("SIGKILL");
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Wait until the study's state is COMPLETED. */
export function waitForStudyCompleted(db: Db, studyId: string, timeoutMs = 60_000, everyMs = 100) {
  return waitFor(
    "the study to complete",
    async () => (await db.study.findUnique({ where: { id: studyId } }))?.state === "COMPLETED",
    timeoutMs,
    everyMs,
  );
}

let counter = 0;
const unique = () => `${process.pid.toString(36)}${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function seedOrg(db: Db) {
  const user = await db.user.create({ data: { email: `u${unique()}@example.test`, passwordHash: "x" } });
  const org = await db.organization.create({ data: { slug: `org-${unique()}`, name: "Org" } });
  await db.membership.create({ data: { orgId: org.id, userId: user.id, role: "OWNER" } });
  return { org, user };
}

export interface SeedStudyOptions {
  trials: number;
  parallelism: number;
  mode?: "centralised" | "decentralized";
  scheduler?: string;
  seed?: number;
}

/** A QUEUED study with the small space; no trials yet (fillQueue creates them). */
export async function seedStudy(db: Db, orgId: string, ownerId: string, o: SeedStudyOptions) {
  return db.study.create({
    data: {
      orgId,
      ownerId,
      name: `study-${unique()}`,
      task: { kind: "closure", level: 0 },
      searchSpace: SMALL_SPACE,
      ensemble: { replicas: 1, folds: 1 },
      training: { maxEpochs: 4, reportEvery: 1 },
      seed: o.seed ?? 1,
      maxTrials: o.trials,
      parallelism: o.parallelism,
      mode: o.mode ?? "centralised",
      scheduler: o.scheduler ?? "none",
    },
  });
}

export { queueEnqueuer };

export async function startStudy(db: Db, queue: TrialQueue, ref: { orgId: string; studyId: string }) {
  return fillQueue(db, queueEnqueuer(queue), ref);
}

/** Counts that prove exactly-once: per state, duplicated numbers, duplicated/foreign intermediate rows. */
export async function studyLedger(db: Db, studyId: string) {
  const trials = await db.trial.findMany({
    where: { studyId },
    select: { id: true, number: true, state: true, attempt: true, result: { select: { trialId: true } } },
  });
  const numbers = new Set(trials.map((t) => t.number));
  const byState: Record<string, number> = {};
  for (const t of trials) byState[t.state] = (byState[t.state] ?? 0) + 1;
  const [dupIntermediate] = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM (
      SELECT "trialId", "step" FROM "IntermediateValue" iv JOIN "Trial" t ON t."id" = iv."trialId"
      WHERE t."studyId" = ${studyId} GROUP BY 1, 2 HAVING count(*) > 1) d`;
  return {
    total: trials.length,
    byState,
    uniqueNumbers: numbers.size,
    maxNumber: Math.max(-1, ...trials.map((t) => t.number)),
    completeWithoutResult: trials.filter((t) => t.state === "COMPLETE" && !t.result).length,
    resultWithoutComplete: trials.filter((t) => t.state !== "COMPLETE" && t.result).length,
    duplicatedIntermediate: Number(dupIntermediate?.n ?? 0),
  };
}

/** A free TCP port on loopback (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server (no persistence) on `port`, resolved once it accepts connections. */
export function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    "/usr/bin/redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve(child);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
}
