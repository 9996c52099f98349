// The Python client's tests run as a user would run them: `pip install ./clients/python` into a fresh
// virtual environment (offline: --no-index --no-build-isolation, the system's setuptools), then
// `python -m unittest` from outside the checkout against a real HTTP server over the REST handler.
// Python is required (.ci/run installs python3, python3-venv, python3-setuptools, python3-wheel): a
// machine without it fails here with that message, as the Redis suites do without redis-server.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TokenScope } from "../../../../server/auth/token";
import { seedToken } from "../../../../server/routers/test-fixtures";
import { type RestHarness, restTestHarness } from "./rest-harness.test-helpers";
import { startTestServer, type TestServer } from "./test-server";

export const REPO_ROOT = path.resolve(__dirname, "../../../../../../..");

/** HENS_PYTHON, else Debian's /usr/bin/python3 (it has setuptools and wheel), else python3 on PATH. */
export function findPython(): string {
  const candidates = [process.env["HENS_PYTHON"], "/usr/bin/python3", "python3"].filter(Boolean) as string[];
  for (const python of candidates) {
    const probe = spawnSync(python, ["-c", "import venv, setuptools"], { encoding: "utf8" });
    if (probe.status === 0) return python;
  }
  throw new Error(
    "no python3 with venv and setuptools: install python3 python3-venv python3-setuptools python3-wheel (.ci/run does)",
  );
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** A fresh venv with the client installed from a copy of clients/python; returns its python. */
export async function installPythonClient(): Promise<{ python: string; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), "hens-py-"));
  const source = path.join(dir, "src-copy");
  // A copy: the build writes build/ and *.egg-info beside the sources, never into the checkout.
  await cp(path.join(REPO_ROOT, "clients/python"), source, {
    recursive: true,
    filter: (p) => !/(^|\/)(build|__pycache__|[^/]*\.egg-info)$/.test(p),
  });
  const venv = path.join(dir, "venv");
  const made = await run(findPython(), ["-m", "venv", "--system-site-packages", venv], {
    cwd: dir,
    timeoutMs: 120_000,
  });
  if (made.code !== 0) throw new Error(`python -m venv failed:\n${made.output}`);
  const python = path.join(venv, "bin", "python");
  const pip = await run(
    python,
    ["-m", "pip", "install", "--no-index", "--no-build-isolation", "--disable-pip-version-check", source],
    { cwd: dir, timeoutMs: 240_000 },
  );
  if (pip.code !== 0 || !existsSync(python))
    throw new Error(`pip install ./clients/python failed:\n${pip.output}`);
  return { python, dir };
}

/**
 * One test file of clients/python/tests, run from `cwd` (outside the checkout) so `hyperensemble` is
 * the installed package, with the server's settings in the environment.
 */
export function runUnittest(python: string, cwd: string, file: string, env: Record<string, string>) {
  const tests = path.join(REPO_ROOT, "clients/python/tests");
  return run(python, ["-m", "unittest", "discover", "-v", "-s", tests, "-p", file], {
    cwd,
    // Only what a user's shell has, and the server's settings.
    env: { PATH: process.env["PATH"], HOME: process.env["HOME"], NODE_ENV: process.env.NODE_ENV, ...env },
    timeoutMs: 300_000,
  });
}

export interface PythonHarness extends RestHarness {
  server: TestServer;
  venv: { python: string; dir: string };
}

/**
 * The seeded org behind a real HTTP server, and a venv with the client installed (beforeAll, with
 * the time pip needs); polling clients get a large token bucket.
 */
export function pythonTestHarness(label: string): PythonHarness {
  const py = restTestHarness(label, {
    limiter: { capacity: 100_000, refillPerSecond: 10_000 },
    exportDatabaseUrl: true,
    setUpTimeoutMs: 400_000,
    setUp: async (h) => {
      py.server = await startTestServer({ createContext: h.createContext });
      py.venv = await installPythonClient();
    },
    tearDown: async () => {
      await py.server?.stop();
    },
  }) as PythonHarness;
  return py;
}

/** One file of clients/python/tests as a MEMBER with a token of these scopes, against the server. */
export async function runClientTests(py: PythonHarness, file: string, scopes: TokenScope[]) {
  const { token } = await seedToken(py.tdb.db, { orgId: py.s.org.id, userId: py.s.users.MEMBER.id, scopes });
  return runUnittest(py.venv.python, py.venv.dir, file, {
    HENS_URL: py.server.url,
    HENS_TOKEN: token,
    HENS_ORG: py.s.org.slug,
  });
}
