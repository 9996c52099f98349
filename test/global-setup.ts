// Vitest global setup: ONE embedded Postgres for the whole run (own temp data dir, free port) with a
// migrated template database that every test file clones (packages/db/src/testing.ts), and a Debian
// redis-server on a free port when installed. Nothing is skipped when Redis is missing: the Redis
// suites fail with a message saying to install it.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, stopEmbeddedPostgres } from "../packages/db/src/embedded.ts";
import { migrateDatabase } from "../packages/db/src/migrate.ts";
import { withDatabase } from "../packages/db/src/url.ts";

export const TEMPLATE_DATABASE = "hens_test_template";
const REDIS_SERVER = "/usr/bin/redis-server";

async function freePort(): Promise<number> {
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

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--protected-mode",
      "no",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${output}`));
    });
  });
  child.stdout?.removeAllListeners("data");
  child.stderr?.removeAllListeners("data");
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

const TMP_PREFIX = "hens-test-";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Services left by a test run that was killed before its teardown (its owner pid is gone). */
async function cleanUpAbandonedRuns(): Promise<void> {
  const entries = await fs.readdir(os.tmpdir()).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => e.startsWith(TMP_PREFIX))) {
    const dir = path.join(os.tmpdir(), entry);
    const owner = await fs
      .readFile(path.join(dir, "owner.json"), "utf8")
      .then((text) => JSON.parse(text) as { pid: number; redisPid?: number })
      .catch(() => undefined);
    if (!owner || alive(owner.pid)) continue;
    if (owner.redisPid && alive(owner.redisPid)) process.kill(owner.redisPid, "SIGKILL");
    await stopEmbeddedPostgres(path.join(dir, "postgres")).catch(() => false);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  await cleanUpAbandonedRuns();
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), TMP_PREFIX));
  await fs.writeFile(path.join(tmp, "owner.json"), JSON.stringify({ pid: process.pid }));
  const [pgPort, redisPort] = await Promise.all([freePort(), freePort()]);
  const postgres = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "postgres"),
    port: pgPort,
    database: "postgres",
    ephemeral: true,
  });

  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  await admin.end();
  await migrateDatabase(withDatabase(postgres.url, TEMPLATE_DATABASE));

  let redis: ChildProcess | undefined;
  let redisUrl = "";
  if (existsSync(REDIS_SERVER)) {
    redis = await startRedis(redisPort);
    redisUrl = `redis://127.0.0.1:${redisPort}`;
    await fs.writeFile(
      path.join(tmp, "owner.json"),
      JSON.stringify({ pid: process.pid, redisPid: redis.pid }),
    );
  }

  project.provide("hensPostgresAdminUrl", postgres.url);
  project.provide("hensTemplateDatabase", TEMPLATE_DATABASE);
  project.provide("hensRedisUrl", redisUrl);
  console.log(
    `[test services] postgres ${postgres.url} (template migrated), redis ${redisUrl || "NOT INSTALLED"} in ${Date.now() - started} ms`,
  );

  return async () => {
    redis?.kill("SIGTERM");
    await postgres.stop().catch((error: unknown) => console.error("stopping test postgres:", error));
    await fs.rm(tmp, { recursive: true, force: true });
  };
}

declare module "vitest" {
  interface ProvidedContext {
    hensPostgresAdminUrl: string;
    hensTemplateDatabase: string;
    hensRedisUrl: string;
  }
}
