// Run by supervise.test.ts as its own process: the quickstart's supervision (Supervisor +
// exitOnDeath, wired as in scripts/quickstart.ts) over two small children standing in for the web
// and the runner. argv[2]: "serve" (the web serves until killed) or "exit-3" (the web fails alone).
import { exitOnDeath, Supervisor } from "./supervise.ts";

const webScript =
  process.argv[2] === "exit-3"
    ? `console.log("web: starting"); console.error("web: port 3000 is in use"); setTimeout(() => process.exit(3), 200)`
    : `console.log("web: listening"); console.error("web: a warning"); setInterval(() => {}, 1000)`;
const runnerScript = `process.on("SIGTERM", () => { console.log("runner: stopping"); process.exit(0); });
console.log("runner: ready");
setInterval(() => {}, 1000)`;

const children = new Supervisor({ killAfterMs: 10_000 });
const child = (name: string, script: string) => ({
  name,
  cmd: process.execPath,
  args: ["-e", script],
  cwd: process.cwd(),
  env: process.env,
});
let shuttingDown = false;
async function shutdown(code: number) {
  if (shuttingDown) return;
  shuttingDown = true;
  await children.stop();
  process.exit(code);
}
exitOnDeath(children, (line) => console.log(`[driver] ${line}`), shutdown);
const web = children.start(child("web", webScript));
const runner = children.start(child("runner", runnerScript));
console.log(`[driver] pids web=${web.pid} runner=${runner.pid}`);
