// The CLI as a user installs it: `npm pack` the package (prepack bundles it with esbuild), install the
// tarball into an empty folder outside the checkout, offline, and run `hens` from there: --help, a bad
// command (exit 2 before any request, with no server and no HENS_ORG), a server that never answers
// (exit 4 after HENS_TIMEOUT), and real calls against a real HTTP server, including `study follow`
// pushed by server-sent events.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenBucketLimiter } from "../../../../server/auth/rate-limit";
import { authenticateBearer } from "../../../../server/auth/token";
import {
  RecordingEnqueuer,
  requestContext,
  type SeededOrg,
  seedOrg,
  seedToken,
} from "../../../../server/routers/test-fixtures";
import type { Context } from "../../../../server/trpc";
import { completeWaitingTrials } from "./runner-step.test-helpers";
import { startTestServer, type TestServer } from "./test-server";

let tdb: TestDatabase;
let s: SeededOrg;
let server: TestServer;
let hens: string;
let installDir: string;
const enqueuer = new RecordingEnqueuer();
const limiter = new TokenBucketLimiter({ capacity: 10_000, refillPerSecond: 1000 });
const repoRoot = path.resolve(__dirname, "../../../../../../..");

async function createContext(req: Request): Promise<Context> {
  const principal = await authenticateBearer(tdb.db, req, { limiter });
  return { ...requestContext(tdb.db, principal, enqueuer), req };
}

/** Only what a user's shell would have: no workspace variables, no npm lifecycle settings. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"], HOME: process.env["HOME"], NODE_ENV: process.env.NODE_ENV, ...extra };
}

/** Run `hens` to its end without blocking this process: the test server answers from here. */
function runHens(args: string[], env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [hens, ...args], {
      cwd: installDir,
      env: userEnv(env),
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  process.env["DATABASE_URL"] = tdb.url;
  s = await seedOrg(tdb.db, "pkg");
  server = await startTestServer({ createContext });
  const packDir = await mkdtemp(path.join(tmpdir(), "hens-pack-"));
  execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], {
    cwd: path.join(repoRoot, "packages/cli"),
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  });
  const tarball = (await readdir(packDir)).find((f) => /^hyperensemble-cli-.*\.tgz$/.test(f));
  if (!tarball) throw new Error(`npm pack left no hyperensemble-cli-*.tgz in ${packDir}`);
  installDir = await mkdtemp(path.join(tmpdir(), "hens-install-"));
  execFileSync(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", "--prefix", installDir, path.join(packDir, tarball)],
    { cwd: installDir, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000, env: userEnv({}) },
  );
  hens = path.join(installDir, "node_modules", ".bin", "hens");
}, 240_000);

afterAll(async () => {
  await server?.stop();
  await tdb?.drop();
});

describe("the packed hens CLI", () => {
  it("is one file with no dependencies, and answers --help", async () => {
    const installed = path.join(installDir, "node_modules", "@hyperensemble", "cli");
    expect((await readdir(installed)).sort()).toEqual(["README.md", "dist", "package.json"]);
    expect(await readdir(path.join(installed, "dist"))).toEqual(["hens.mjs"]);
    // Nothing but the package itself was installed.
    expect((await readdir(path.join(installDir, "node_modules"))).filter((d) => !d.startsWith("."))).toEqual([
      "@hyperensemble",
    ]);
    const help = await runHens(["--help"], {});
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("hens study create -f study.yaml");
    expect(help.stdout).toContain("Exit codes:");
  });

  it("refuses a bad command at once with exit 2: no server, no HENS_ORG, no request", async () => {
    // Port 9 on loopback: nothing listens; a request would fail with exit 4, not 2.
    const env = { HENS_URL: "http://127.0.0.1:9", HENS_TOKEN: "hens_x" };
    const bad = await runHens(["study", "frobnicate"], env);
    expect([bad.status, bad.stderr.split("\n")[0]]).toEqual([2, "unknown command: study frobnicate"]);
    const missingId = await runHens(["study", "follow"], env);
    expect([missingId.status, missingId.stderr.split("\n")[0]]).toEqual([2, "hens study follow <id>"]);
    const badTimeout = await runHens(["study", "list"], { ...env, HENS_TIMEOUT: "soon" });
    expect(badTimeout.status).toBe(2);
    expect(badTimeout.stderr).toContain("HENS_TIMEOUT must be a positive number of seconds");
    // A well-formed command does reach for the network: unreachable is exit 4.
    const down = await runHens(["study", "list", "--org", "x"], { ...env, HENS_TIMEOUT: "5" });
    expect(down.status).toBe(4);
    expect(down.stderr).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:9\/api\/v1/);
  });

  it("gives up with exit 4 and a clear error when a server accepts the connection and never answers", async () => {
    // The hang HENS_TIMEOUT exists for: the connection is accepted and the request read, no answer.
    const held: Socket[] = [];
    const silent = createServer((socket) => {
      held.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      const hung = await runHens(["study", "list", "--org", "x"], {
        HENS_URL: `http://127.0.0.1:${port}`,
        HENS_TOKEN: "hens_x",
        HENS_TIMEOUT: "1",
      });
      const elapsed = Date.now() - started;
      expect(hung.status, hung.stderr).toBe(4);
      expect(hung.stderr.trim()).toBe(
        `error: no answer from http://127.0.0.1:${port}/api/v1 within 1 s (HENS_TIMEOUT)`,
      );
      expect(held.length).toBeGreaterThanOrEqual(1); // it did connect: a timeout, not a refusal
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(20_000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("creates a study against a real server and follows it by push to completion", async () => {
    const { token } = await seedToken(tdb.db, {
      orgId: s.org.id,
      userId: s.users.MEMBER.id,
      scopes: ["studies:read", "studies:write"],
    });
    const env = { HENS_URL: server.url, HENS_TOKEN: token };
    const spec = path.join(installDir, "study.json");
    await writeFile(
      spec,
      JSON.stringify({ name: "packed", replicas: 2, trials: 3, parallelism: 1, sampler: "random" }),
    );
    const created = await runHens(["study", "create", "-f", spec], env);
    expect(created.stderr).toBe("");
    expect(created.status).toBe(0);
    const studyId = created.stdout.trim();

    const child: ChildProcess = spawn(process.execPath, [hens, "study", "follow", studyId], {
      cwd: installDir,
      env: userEnv(env),
    });
    let out = "";
    let err = "";
    child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // The runner moves only after the follower printed its first line (it is connected by then);
    // each step's events wake it: no --interval polling is involved.
    while (!out.includes("packed: ")) await new Promise((r) => setTimeout(r, 100));
    for (let step = 0; step < 3; step++) {
      await completeWaitingTrials(tdb.db, enqueuer, s.org.id, studyId);
      await new Promise((r) => setTimeout(r, 300));
    }
    const code = await Promise.race([
      exited,
      new Promise<"hung">((r) => setTimeout(() => r("hung"), 60_000)),
    ]);
    if (code === "hung") child.kill();
    expect(err).toBe("");
    expect(code).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("trial "))).toHaveLength(3);
    expect(lines.at(-1)).toBe("packed: COMPLETED 3/3 done, 0 running, best 1.00000");
  });
});
