// `npm run quickstart [-- --exit]`: bring the whole platform up on the embedded defaults, run the
// demo study end to end, print the best trial and the URL, and keep serving until Ctrl-C.
import path from "node:path";
import { createDb, databaseUrl } from "@hyperensemble/db";
import {
  createStudy,
  createStudyInputSchema,
  DEMO_ORG,
  DEMO_STUDY,
  DEMO_USER,
  seedDemo,
} from "@hyperensemble/platform";
import { createQueueConnection, queueEnqueuer, trialQueue } from "@hyperensemble/queue";
import { quickstartAuthSecret } from "./lib/auth-secret.ts";
import { ensureServices, migrateDatabase, quickstartAppEnv, repoRootDir } from "./lib/services.ts";
import { exitOnDeath, Supervisor } from "./lib/supervise.ts";

const exitWhenDone = process.argv.includes("--exit");
const port = Number(process.env.PORT ?? 3000);
const root = repoRootDir();
const children = new Supervisor();
const t0 = Date.now();
const say = (msg: string) => console.log(`[quickstart ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

async function waitForHttp(url: string, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

let shuttingDown = false;
async function shutdown(services: { stop(): Promise<void> }, code: number) {
  if (shuttingDown) return;
  shuttingDown = true;
  await children.stop();
  await services.stop();
  process.exit(code);
}

const services = await ensureServices({ log: say });
process.on("SIGINT", () => void shutdown(services, 0));
process.on("SIGTERM", () => void shutdown(services, 0));
// The web or the runner ending on its own ends the quickstart, loudly (scripts/lib/supervise.ts).
exitOnDeath(children, say, (code) => shutdown(services, code));
try {
  say(
    `Postgres at ${services.databaseUrl.replace(/:[^:@/]+@/, ":***@")}; queue: ${services.redisUrl ? "BullMQ on Redis" : "BullMQ on PostgreSQL"}`,
  );
  await migrateDatabase(services.databaseUrl);
  say("database migrated");
  const authSecret = quickstartAuthSecret(path.join(root, ".data"));
  say(
    authSecret.source === "environment"
      ? "AUTH_SECRET from the environment"
      : `AUTH_SECRET ${authSecret.source === "created" ? "generated into" : "read from"} ${path.relative(root, authSecret.file)}`,
  );
  const env = quickstartAppEnv(services, { port, authSecret: authSecret.secret });
  process.env.DATABASE_URL = services.databaseUrl;
  if (services.redisUrl) process.env.REDIS_URL = services.redisUrl;
  const db = createDb(services.databaseUrl);
  const { org } = await seedDemo(db);

  say("building the web app (cached after the first run)…");
  const buildCode = await children.run({
    name: "build",
    cmd: path.join(root, "node_modules/.bin/turbo"),
    args: ["run", "build", "--filter=@hyperensemble/web", "--output-logs=errors-only"],
    cwd: root,
    env,
  });
  if (buildCode !== 0) throw new Error("web build failed");
  children.start({
    name: "web",
    cmd: path.join(root, "node_modules/.bin/next"),
    args: ["start", "-p", String(port)],
    cwd: path.join(root, "apps/web"),
    env,
  });
  children.start({
    name: "runner",
    cmd: path.join(root, "node_modules/.bin/tsx"),
    args: ["src/main.ts"],
    cwd: path.join(root, "apps/gpu-runner"),
    env: { ...env, RUNNER_NAME: "quickstart-runner", RUNNER_HTTP_PORT: "0" },
  });
  await waitForHttp(`http://localhost:${port}/api/health`, 120_000);
  say(`web is up at http://localhost:${port}`);

  const queue = trialQueue(createQueueConnection({ databaseUrl: databaseUrl() }));
  const owner = await db.user.findUniqueOrThrow({ where: { email: DEMO_USER.email } });
  const spec = createStudyInputSchema.parse({
    ...DEMO_STUDY,
    name: `${DEMO_STUDY.name} (${new Date().toISOString().slice(0, 16)})`,
  });
  const submitted = Date.now();
  const study = await createStudy(db, queueEnqueuer(queue), { orgId: org.id, ownerId: owner.id, spec });
  const url = `http://localhost:${port}/o/${DEMO_ORG.slug}/studies/${study.id}`;
  say(`demo study submitted: ${spec.trials} trials × ${spec.replicas} replicas → ${url}`);

  let lastLine = "";
  for (;;) {
    const s = await db.study.findFirstOrThrow({ where: { id: study.id, orgId: org.id } });
    const trials = await db.trial.findMany({
      where: { orgId: org.id, studyId: study.id },
      select: { state: true },
    });
    const done = trials.filter((t) => ["COMPLETE", "PRUNED", "FAIL"].includes(t.state)).length;
    const line = `study ${s.state}: ${done}/${s.maxTrials} trials finished`;
    if (line !== lastLine) say(line);
    lastLine = line;
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(s.state)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const best = await db.trial.findFirst({
    where: { orgId: org.id, studyId: study.id, state: "COMPLETE" },
    include: { result: true },
    orderBy: { result: { value: "asc" } },
  });
  say(`study COMPLETED in ${((Date.now() - submitted) / 1000).toFixed(1)} s`);
  if (best?.result) {
    say(
      `best trial #${best.number}: L1 = ${best.result.L1.toFixed(4)}, phi2 = ${best.result.phi2.toFixed(4)}, params ${JSON.stringify(best.params)}`,
    );
  }
  say(`open ${url}  (sign in as ${DEMO_USER.email} / ${DEMO_USER.password})`);
  await queue.close();
  await db.$disconnect();
  if (exitWhenDone) await shutdown(services, 0);
  else say("serving; press Ctrl-C to stop");
} catch (err) {
  console.error(err);
  await shutdown(services, 1);
}
