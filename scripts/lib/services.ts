// Services for the quickstart: DATABASE_URL when set, else the embedded Postgres under .data/postgres
// (reused when already running, and then left running on exit); REDIS_URL when set.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { migrateDatabase as migrate, repoRoot } from "@hyperensemble/db";
import { startEmbeddedPostgres } from "@hyperensemble/db/embedded";

export interface Services {
  databaseUrl: string;
  redisUrl: string | undefined;
  stop(): Promise<void>;
}

export const repoRootDir = () => repoRoot(import.meta.dirname);

export async function ensureServices({ log }: { log: (line: string) => void }): Promise<Services> {
  const redisUrl = process.env.REDIS_URL || undefined;
  if (process.env.DATABASE_URL) {
    return { databaseUrl: process.env.DATABASE_URL, redisUrl, stop: async () => {} };
  }
  const dataDir = ".data/postgres";
  const pg = await startEmbeddedPostgres({ dataDir, log: (l) => log(`postgres: ${l}`) });
  const file = path.join(repoRootDir(), ".data", "services.json");
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ databaseUrl: pg.url, ...(redisUrl ? { redisUrl } : {}), embeddedPostgres: { dataDir, port: pg.port } }, null, 2)}\n`,
  );
  return {
    databaseUrl: pg.url,
    redisUrl,
    // A server this run found already running belongs to someone else: leave it up.
    stop: pg.reused ? async () => {} : () => pg.stop(),
  };
}

export async function migrateDatabase(url: string): Promise<void> {
  await migrate(url);
}
