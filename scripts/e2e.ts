// The browser suite against a real stack: a fresh embedded Postgres (or DATABASE_URL), migrated, then
// Playwright, which starts the built web app and a runner (apps/web/playwright.config.ts).
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { migrateDatabase } from "@hyperensemble/db";
import { startEmbeddedPostgres } from "@hyperensemble/db/embedded";

const root = path.resolve(import.meta.dirname, "..");
let stop = async () => {};
let url = process.env.E2E_DATABASE_URL;
if (!url) {
  const dataDir = path.join(root, ".data", "e2e", "postgres");
  rmSync(dataDir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres({
    dataDir,
    port: Number(process.env.E2E_PG_PORT ?? 54339),
    ephemeral: true,
  });
  url = pg.url;
  stop = () => pg.stop();
}
let code = 1;
try {
  await migrateDatabase(url);
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url };
  delete env.REDIS_URL;
  if (process.env.E2E_REDIS_URL) env.REDIS_URL = process.env.E2E_REDIS_URL;
  code = await new Promise<number>((resolve) => {
    const child = spawn(
      path.join(root, "node_modules/.bin/playwright"),
      ["test", "-c", "apps/web/playwright.config.ts", ...process.argv.slice(2)],
      { cwd: root, stdio: "inherit", env },
    );
    child.once("exit", (c) => resolve(c ?? 1));
  });
} finally {
  await stop();
}
process.exit(code);
