import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** Where the embedded Postgres listens when nothing else says otherwise. */
export const EMBEDDED_DEFAULTS = {
  port: 54329,
  user: "postgres",
  password: "hyperensemble",
  database: "hyperensemble",
} as const;

export function embeddedUrl(
  port: number = EMBEDDED_DEFAULTS.port,
  database: string = EMBEDDED_DEFAULTS.database,
) {
  const { user, password } = EMBEDDED_DEFAULTS;
  return `postgresql://${user}:${password}@127.0.0.1:${port}/${database}`;
}

/** The repository root: the nearest ancestor of `from` holding prisma/schema.prisma. */
export function repoRoot(from: string = process.cwd()): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, "prisma", "schema.prisma"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No HyperEnsemble repository (prisma/schema.prisma) above ${from}`);
    dir = parent;
  }
}

export interface ServicesFile {
  databaseUrl?: string;
  redisUrl?: string;
  embeddedPostgres?: { dataDir: string; port: number };
}

export function servicesFilePath(root: string = repoRoot()): string {
  return path.join(root, ".data", "services.json");
}

export function readServicesFile(root?: string): ServicesFile | undefined {
  try {
    return JSON.parse(readFileSync(servicesFilePath(root), "utf8")) as ServicesFile;
  } catch {
    return undefined;
  }
}

/**
 * The database to use: DATABASE_URL when set, else the embedded Postgres that `npm run services:start`
 * recorded in .data/services.json, else the embedded default address.
 */
export function databaseUrl(): string {
  const fromEnv = process.env["DATABASE_URL"];
  if (fromEnv) return fromEnv;
  let recorded: string | undefined;
  try {
    recorded = readServicesFile()?.databaseUrl;
  } catch {
    recorded = undefined;
  }
  return recorded ?? embeddedUrl();
}

export interface PgConnectionParts {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Split a postgres URL into the separate fields pg wants (see toPgConfig for why). */
export function parseDatabaseUrl(url: string): PgConnectionParts {
  const u = new URL(url);
  if (u.protocol !== "postgresql:" && u.protocol !== "postgres:") {
    throw new Error(`DATABASE_URL must be a postgresql:// URL, got ${u.protocol}`);
  }
  return {
    host: decodeURIComponent(u.hostname || "localhost"),
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username || "postgres"),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || "postgres",
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
