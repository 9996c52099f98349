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

/**
 * The environment the quickstart gives the web and the runner: production mode on the services found,
 * sessions signed with the install's own secret (scripts/lib/auth-secret.ts), never the public
 * development one.
 */
export function quickstartAppEnv(
  services: Pick<Services, "databaseUrl" | "redisUrl">,
  { port, authSecret, base = process.env }: { port: number; authSecret: string; base?: NodeJS.ProcessEnv },
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    DATABASE_URL: services.databaseUrl,
    NODE_ENV: "production",
    AUTH_SECRET: authSecret,
    AUTH_URL: `http://localhost:${port}`,
  };
  // Left over from older quickstarts' shells: the web ignores it now, so drop it to avoid confusion.
  delete env["HENS_ALLOW_DEV_SECRET"];
  if (services.redisUrl) env["REDIS_URL"] = services.redisUrl;
  return env;
}
