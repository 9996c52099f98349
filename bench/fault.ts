/**
 * Load and faults (issue 13): while 50 API clients poll the study page's tRPC reads, the uploads a
 * user or an attacker can send arrive at once: CSV datasets of 10,000 points in 10 sub-datasets,
 * 50,000 points and 900,000 points through the REST upload (`POST /api/v1/orgs/{org}/datasets`, the
 * route docs/api.md names), and a 30 MB body to tRPC's `dataset.upload`. Targets:
 *   - every upload is answered: accepted (2xx) or refused naming the field (4xx with fieldErrors;
 *     a 413 names the body limit by its code);
 *   - the clients' p95 while uploads are in flight stays under 3× their p95 without them;
 *   - the web process (and any child) never holds more than 1 GiB resident.
 * The built web app runs under `next start` on a fresh embedded Postgres, as for bench:web.
 *
 *   (cd apps/web && npx next build) && npm run bench:fault
 *   npm run bench:fault -- --seconds 15 --upload-timeout 120 --rss-kill-mib 3072
 *
 * Guards, so that the old code cannot take the machine down with it: an upload not answered within
 * --upload-timeout counts as unanswered, and the server is killed (and the run fails) once its
 * resident memory passes --rss-kill-mib. Writes bench/results/fault.json and the "Load and faults"
 * section of docs/benchmarks.md; exits 1 when a target is missed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createDb, migrateDatabase } from "@hyperensemble/db";
import { startEmbeddedPostgres } from "@hyperensemble/db/embedded";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { seedStudy } from "../apps/web/e2e/seed.ts";
import {
  classifyAnswer,
  FAULT_UPLOADS,
  faultUploadInput,
  OVERSIZE_TRPC_BYTES,
  oversizeTrpcBody,
  type Verdict,
} from "../apps/web/src/server/fault-fixtures.ts";
import {
  latencySummary,
  replaceDocsSection,
  root,
  round,
  runClients,
  signIn,
  startWebServer,
  stopWebServer,
  studyPageApiUrls,
  treeMemoryMiB,
} from "./web-harness.ts";

const { values: args } = parseArgs({
  options: {
    concurrency: { type: "string", default: "50" },
    seconds: { type: "string", default: "15" },
    trials: { type: "string", default: "2000" },
    port: { type: "string", default: "3211" },
    "upload-timeout": { type: "string", default: "120" },
    "rss-kill-mib": { type: "string", default: "3072" },
    "report-only": { type: "boolean", default: false },
    /** Write a V8 CPU profile of the web server to this directory (what holds its event loop). */
    profile: { type: "string" },
  },
});
const CONCURRENCY = Number(args.concurrency);
const SECONDS = Number(args.seconds);
const PORT = Number(args.port);
const UPLOAD_TIMEOUT_MS = Number(args["upload-timeout"]) * 1000;
const RSS_KILL_MIB = Number(args["rss-kill-mib"]);
const base = `http://localhost:${PORT}`;
const P95_RATIO_TARGET = 3;
const RSS_TARGET_MIB = 1024;
const resultsFile = path.join(root, "bench/results/fault.json");

interface UploadResult {
  label: string;
  surface: string;
  bodyMiB: number;
  status: number | null;
  verdict: Verdict | "no answer" | "body cut short";
  field?: string;
  code?: string;
  message?: string;
  ms: number;
}

if (args["report-only"]) {
  writeSection(JSON.parse(readFileSync(resultsFile, "utf8")));
  process.exit(0);
}

/** Send one upload and read what it answers; a timeout or a dropped connection is "no answer". */
async function send(
  label: string,
  surface: string,
  url: string,
  body: string,
  headers: Record<string, string>,
) {
  const t = performance.now();
  const result: UploadResult = {
    label,
    surface,
    bodyMiB: round(Buffer.byteLength(body) / 2 ** 20),
    status: null,
    verdict: "no answer",
    ms: 0,
  };
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {}
    result.status = res.status;
    Object.assign(result, classifyAnswer(res.status, parsed));
    const error = (parsed as { error?: { message?: string; json?: { message?: string } } } | null)?.error;
    const message = error?.message ?? error?.json?.message;
    if (message) result.message = message.slice(0, 160);
    // Every body sent here is valid JSON: "not valid JSON" means the server read it cut short
    // (Next's proxy passes on only its first 10 MB unless proxyClientMaxBodySize says otherwise).
    if (/not valid JSON/i.test(message ?? "")) result.verdict = "body cut short";
  } catch (err) {
    result.message =
      (err as Error).name === "TimeoutError" ? `no answer in ${UPLOAD_TIMEOUT_MS / 1000} s` : String(err);
  }
  result.ms = round(performance.now() - t);
  return result;
}

const dataDir = path.join(root, ".data", "bench-fault", "postgres");
rmSync(dataDir, { recursive: true, force: true });
const pg = await startEmbeddedPostgres({ dataDir, port: 54342, ephemeral: true });
let server: Awaited<ReturnType<typeof startWebServer>> | null = null;
let memoryWatch: NodeJS.Timeout | undefined;
let exitCode = 1;
try {
  await migrateDatabase(pg.url);
  const db = createDb(pg.url);
  const { org, user } = await seedDemo(db);
  const study = await seedStudy(db, {
    orgId: org.id,
    ownerId: user.id,
    name: "Bench: faults",
    trials: Number(args.trials),
    seed: 7,
    curves: 40,
  });
  await db.$executeRawUnsafe("ANALYZE");
  await db.$disconnect();

  const profile = args.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(args.profile)}`] : [];
  server = await startWebServer({ port: PORT, databaseUrl: pg.url, nodeArgs: profile });
  const pid = server.pid!;
  const startMiB = treeMemoryMiB(pid).rss;
  let peakMiB = startMiB;
  let killedAtMiB: number | null = null;
  memoryWatch = setInterval(() => {
    const { rss, hwm } = treeMemoryMiB(pid);
    peakMiB = Math.max(peakMiB, rss, hwm);
    if (rss > RSS_KILL_MIB && killedAtMiB === null) {
      killedAtMiB = round(rss);
      console.log(`web server at ${killedAtMiB} MiB resident: killed (guard --rss-kill-mib ${RSS_KILL_MIB})`);
      server?.kill("SIGKILL");
    }
  }, 100);

  const cookie = await signIn(base, DEMO_USER.email, DEMO_USER.password);
  const tokenRes = await fetch(`${base}/api/v1/orgs/${DEMO_ORG.slug}/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie, origin: base },
    body: JSON.stringify({ name: "bench-fault", scopes: ["studies:read", "datasets:write"] }),
  });
  if (tokenRes.status !== 201) throw new Error(`token: ${tokenRes.status} ${await tokenRes.text()}`);
  const { token } = (await tokenRes.json()) as { token: string };

  const urls = studyPageApiUrls(base, DEMO_ORG.slug, study.id);
  const serverGone = () => server?.exitCode !== null || server?.signalCode !== null;
  // A dead server answers at once: stop the clients rather than spin on refused connections.
  const clients = (until: () => boolean) =>
    runClients({
      cookie,
      urls,
      clients: CONCURRENCY,
      until: () => until() || serverGone(),
      timeoutMs: 30_000,
    });
  const forSeconds = (s: number) => {
    const end = performance.now() + s * 1000;
    return () => performance.now() >= end;
  };
  await clients(forSeconds(3)); // warm-up of the handlers and the pool
  const quiet = latencySummary((await clients(forSeconds(SECONDS))).samples);
  console.log(`${CONCURRENCY} clients, no uploads: p95 ${quiet.p95} ms (${quiet.requests} requests)`);

  // The faults: all sent at once, 2 s into a run of the same clients, which lasts until every
  // upload is answered (and at least SECONDS).
  const bodies = FAULT_UPLOADS.map((u, i) => ({
    label: u.label,
    body: JSON.stringify(faultUploadInput(u, `fault ${i}`)),
  }));
  const oversize = oversizeTrpcBody(DEMO_ORG.slug, "fault trpc");
  let uploadsStart = Number.POSITIVE_INFINITY;
  let uploadsEnd = Number.POSITIVE_INFINITY;
  const end = () =>
    performance.now() >= Math.max(uploadsEnd + 1000, uploadsStart + SECONDS * 1000) ||
    performance.now() >= uploadsStart + UPLOAD_TIMEOUT_MS + 5000;
  const loaded = clients(end);
  await new Promise((r) => setTimeout(r, 2000));
  uploadsStart = performance.now();
  const uploads = await Promise.all([
    ...bodies.map((b) =>
      send(b.label, "REST", `${base}/api/v1/orgs/${DEMO_ORG.slug}/datasets`, b.body, {
        authorization: `Bearer ${token}`,
      }),
    ),
    send(
      `${Math.round(OVERSIZE_TRPC_BYTES / 2 ** 20)} MB tRPC body`,
      "tRPC",
      `${base}/api/trpc/dataset.upload`,
      oversize,
      { cookie, origin: base },
    ),
  ]);
  uploadsEnd = performance.now();
  const samples = (await loaded).samples;
  clearInterval(memoryWatch);
  peakMiB = Math.max(peakMiB, ...(killedAtMiB === null ? [treeMemoryMiB(pid).hwm] : []));
  const inFlight = latencySummary(samples.filter((s) => s.start >= uploadsStart && s.start <= uploadsEnd));
  const wholeRun = latencySummary(samples.filter((s) => s.start >= uploadsStart));
  let healthAfter: number | null = null;
  try {
    healthAfter = (await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(10_000) })).status;
  } catch {}

  const answered = uploads.every((u) => u.verdict === "accepted" || u.verdict === "refused");
  const p95Ratio = Math.round((inFlight.p95 / quiet.p95) * 100) / 100;
  const result = {
    concurrency: CONCURRENCY,
    quiet,
    inFlight,
    wholeRun,
    p95Ratio,
    uploads,
    uploadsSeconds: round((uploadsEnd - uploadsStart) / 1000),
    rssStartMiB: round(startMiB),
    rssPeakMiB: round(peakMiB),
    killedAtMiB,
    healthAfter,
    targets: {
      answered,
      p95RatioUnder3: p95Ratio < P95_RATIO_TARGET,
      rssUnder1GiB: peakMiB < RSS_TARGET_MIB && killedAtMiB === null,
    },
    loadAverage: os.loadavg().map(round),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`,
    date: new Date().toISOString(),
  };
  mkdirSync(path.dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  writeSection(result);
  console.table(
    uploads.map((u) => ({
      upload: u.label,
      via: u.surface,
      MiB: u.bodyMiB,
      status: u.status ?? "-",
      answer: u.verdict,
      field: u.field ?? "",
      s: round(u.ms / 1000),
    })),
  );
  console.table({
    "clients p95, no uploads (ms)": quiet.p95,
    "clients p95, uploads in flight (ms)": inFlight.p95,
    "p95 ratio (target < 3)": p95Ratio,
    "client errors in flight": `${inFlight.errors} of ${inFlight.requests}`,
    "web RSS start / peak (MiB, target < 1024)": `${round(startMiB)} / ${round(peakMiB)}`,
    "health after": healthAfter ?? "no answer",
  });
  exitCode = Object.values(result.targets).every(Boolean) ? 0 : 1;
  console.log(exitCode === 0 ? "all targets met" : `targets missed: ${JSON.stringify(result.targets)}`);
} finally {
  clearInterval(memoryWatch);
  await stopWebServer(server);
  await pg.stop();
}
process.exit(exitCode);

type FaultResult = {
  concurrency: number;
  quiet: { p95: number; requests: number };
  inFlight: { p95: number; requests: number; errors: number };
  p95Ratio: number;
  uploads: UploadResult[];
  uploadsSeconds: number;
  rssStartMiB: number;
  rssPeakMiB: number;
  killedAtMiB: number | null;
  targets: Record<string, boolean>;
  loadAverage: number[];
  machine: string;
  date: string;
};

function writeSection(r: FaultResult) {
  const rows = r.uploads
    .map(
      (u) =>
        `| ${u.label} (${u.surface}, ${u.bodyMiB} MiB) | ${u.status ?? "none"} | ${u.verdict}${u.field ? ` (\`${u.field}\`)` : ""} | ${round(u.ms / 1000)} s |`,
    )
    .join("\n");
  replaceDocsSection(
    "## Load and faults",
    `## Load and faults

\`npm run bench:fault\` (after \`cd apps/web && npx next build\`): the production build under \`next start\` on
a fresh embedded Postgres; ${r.concurrency} clients in a closed loop on the study page's tRPC reads; then,
while they run, the uploads below sent at once (CSV through the REST dataset upload, and a 30 MB body to
tRPC's \`dataset.upload\`). "Refused" means a 4xx naming the field (\`fieldErrors\`), or a 413 naming the
body limit.

| upload | status | answer | time to answer |
| --- | --- | --- | --- |
${rows}

| measure | value | target |
| --- | --- | --- |
| clients' p95 without uploads | ${r.quiet.p95} ms (${r.quiet.requests} requests) | |
| clients' p95 while uploads were in flight (${r.uploadsSeconds} s) | ${r.inFlight.p95} ms (${r.inFlight.requests} requests, ${r.inFlight.errors} errors) | |
| ratio | ${r.p95Ratio} | < 3 |
| web process resident memory, start / peak | ${r.rssStartMiB} / ${r.rssPeakMiB} MiB${r.killedAtMiB !== null ? ` (killed by the guard at ${r.killedAtMiB} MiB)` : ""} | < 1024 MiB |

Targets ${
      Object.values(r.targets).every(Boolean)
        ? "met"
        : `missed: ${Object.entries(r.targets)
            .filter(([, ok]) => !ok)
            .map(([k]) => k)
            .join(", ")}`
    }. Machine: ${r.machine}; load average at the end (1, 5, 15 min) ${r.loadAverage.join(", ")}
(above 2 on a 2-core machine means other jobs shared it). Date: ${r.date}. Raw figures: \`bench/results/fault.json\`.
`,
  );
}
