// npm run services:start | services:stop
// Postgres: DATABASE_URL when set, else an embedded real PostgreSQL with its data under .data/postgres
// (left running in the background; a later start reuses it). Queue: Redis when REDIS_URL is set, else
// BullMQ's PostgreSQL backend on the same database. The URLs go to .data/services.json, where
// databaseUrl() and the other scripts find a running instance.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { startEmbeddedPostgres, stopEmbeddedPostgres } from "../packages/db/src/embedded.ts";
import {
  EMBEDDED_DEFAULTS,
  readServicesFile,
  type ServicesFile,
  servicesFilePath,
} from "../packages/db/src/url.ts";

const DATA_DIR = ".data/postgres";

function writeServicesFile(services: ServicesFile): void {
  const file = servicesFilePath();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(services, null, 2)}\n`);
}

/** The database URL to use, starting the embedded Postgres when DATABASE_URL is unset. */
export async function ensureDatabase(log: (line: string) => void = () => {}): Promise<string> {
  const fromEnv = process.env["DATABASE_URL"];
  if (fromEnv) return fromEnv;
  const recordedPort = readServicesFile()?.embeddedPostgres?.port;
  const port = Number(process.env["EMBEDDED_PG_PORT"] ?? recordedPort ?? EMBEDDED_DEFAULTS.port);
  const server = await startEmbeddedPostgres({ dataDir: DATA_DIR, port, log });
  writeServicesFile({
    databaseUrl: server.url,
    ...(process.env["REDIS_URL"] ? { redisUrl: process.env["REDIS_URL"] } : {}),
    embeddedPostgres: { dataDir: DATA_DIR, port: server.port },
  });
  return server.url;
}

export async function startServices(): Promise<ServicesFile> {
  const databaseUrl = await ensureDatabase((line) => console.log(`[postgres] ${line}`));
  const redisUrl = process.env["REDIS_URL"];
  if (process.env["DATABASE_URL"]) {
    writeServicesFile({ databaseUrl, ...(redisUrl ? { redisUrl } : {}) });
  }
  console.log(`DATABASE_URL=${databaseUrl}`);
  console.log(
    redisUrl
      ? `REDIS_URL=${redisUrl} (queue: BullMQ on Redis)`
      : "queue: BullMQ PostgreSQL backend on DATABASE_URL",
  );
  return readServicesFile() ?? { databaseUrl };
}

export async function stopServices(): Promise<void> {
  const services = readServicesFile();
  const stopped = await stopEmbeddedPostgres(services?.embeddedPostgres?.dataDir ?? DATA_DIR);
  console.log(stopped ? "embedded Postgres stopped" : "embedded Postgres was not running");
  rmSync(servicesFilePath(), { force: true });
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const command = process.argv[2];
  const action = command === "start" ? startServices : command === "stop" ? stopServices : undefined;
  if (!action) {
    console.error("usage: tsx scripts/services.ts start | stop");
    process.exit(2);
  }
  action().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
