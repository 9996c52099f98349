// `npm test`: every test, in order: lint (with the package-boundary rule), types, unit and
// integration tests (vitest; real Postgres, Redis and BullMQ), then the browser end to end.
import { spawn } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const only = process.argv.slice(2);

interface Step {
  name: string;
  cmd: string;
  args: string[];
  env?: Record<string, string>;
}
const steps: Step[] = [
  { name: "lint", cmd: bin("biome"), args: ["check", "."] },
  { name: "typecheck", cmd: bin("turbo"), args: ["run", "typecheck", "--output-logs=errors-only"] },
  // Outside the workspaces: scripts/, bench/ and the root configs; the test services' setup.
  { name: "typecheck-root", cmd: bin("tsc"), args: ["--noEmit", "-p", "."] },
  { name: "typecheck-test", cmd: bin("tsc"), args: ["--noEmit", "-p", "test"] },
  { name: "unit+integration", cmd: bin("vitest"), args: ["run"] },
  // The standalone output is what the web image ships; `next start` (e2e, quickstart) serves it too.
  {
    name: "build",
    cmd: bin("turbo"),
    args: ["run", "build", "--filter=@hyperensemble/web", "--output-logs=errors-only"],
    env: { NEXT_OUTPUT: "standalone" },
  },
  // The image's entry command, run from this build: must start and serve /api/health (not skippable).
  {
    name: "standalone",
    cmd: bin("vitest"),
    args: ["run", "infra/test/docker.test.ts", "-t", "standalone server.js"],
    env: { HENS_REQUIRE_STANDALONE: "1" },
  },
  { name: "e2e", cmd: bin("tsx"), args: [path.join(root, "scripts", "e2e.ts")] },
];

const timings: string[] = [];
for (const step of steps) {
  if (only.length > 0 && !only.includes(step.name)) continue;
  const t0 = Date.now();
  console.log(`\n=== ${step.name} ===`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(step.cmd, step.args, {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, ...step.env },
    });
    child.once("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  timings.push(`${step.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (code !== 0) {
    console.error(`\n${step.name} failed (exit ${code})\n${timings.join("\n")}`);
    process.exit(code);
  }
}
console.log(`\nall passed\n${timings.join("\n")}`);
