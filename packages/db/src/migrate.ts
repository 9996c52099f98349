// Runs the Prisma 6.19 CLI (wasm engines, offline) against a database.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { repoRoot } from "./url.ts";

const require = createRequire(import.meta.url);

export interface PrismaCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `prisma <args>` with `url` as DATABASE_URL; long engine timers unref'd so the CLI exits. */
export async function runPrismaCli(
  args: string[],
  url: string,
  options: { inherit?: boolean } = {},
): Promise<PrismaCliResult> {
  const cli = require.resolve("prisma/build/index.js");
  const preload = path.join(
    path.dirname(require.resolve("../package.json")),
    "scripts",
    "unref-long-timers.cjs",
  );
  const root = repoRoot();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", preload, cli, ...args], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: url,
        CHECKPOINT_DISABLE: "1",
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
      stdio: options.inherit ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Apply prisma/migrations to `url` (`prisma migrate deploy`); throws with the CLI's output on failure. */
export async function migrateDatabase(url: string, options: { inherit?: boolean } = {}): Promise<void> {
  const result = await runPrismaCli(["migrate", "deploy"], url, options);
  if (result.code !== 0) {
    throw new Error(
      `prisma migrate deploy failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}
