#!/usr/bin/env node
// Bootstrap for `npm run quickstart` on a fresh clone: install dependencies when missing, then hand
// over to the TypeScript quickstart (which needs tsx from node_modules).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const env = {
  ...process.env,
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1",
  NEXT_TELEMETRY_DISABLED: "1",
  TURBO_TELEMETRY_DISABLED: "1",
  CHECKPOINT_DISABLE: "1",
};
if (
  !existsSync(path.join(root, "node_modules", ".bin", "tsx")) ||
  !existsSync(path.join(root, "packages", "db", "src", "generated", "prisma"))
) {
  console.log("quickstart: installing dependencies (npm install)…");
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const tsx = path.join(root, "node_modules", ".bin", "tsx");
const r = spawnSync(tsx, [path.join(root, "scripts", "quickstart.ts"), ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env,
});
process.exit(r.status ?? 1);
