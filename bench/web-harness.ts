/**
 * What the web benchmarks share: the built web app under `next start` on a given database, a
 * credentials sign-in over plain HTTP, the server's CPU and memory from /proc, and a closed-loop
 * load generator of N API clients. Used by bench/web.ts (latency of the study page and its API) and
 * bench/fault.ts (the same clients while oversized uploads arrive).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const root = path.resolve(import.meta.dirname, "..");

export const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
export const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
export const round = (x: number) => Math.round(x * 10) / 10;

export async function waitFor(url: string, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not come up in ${ms} ms`);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function processCpuSeconds(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return Number.NaN;
  }
}

/** The process and its descendants (`next start` may fork its server), from /proc's parent links. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {} // exited while we looked
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

function statusKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident memory of a process tree now (sum of VmRSS) and the largest peak any member reached
 * (VmHWM, kept by the kernel, so a spike between two samples is not missed), in MiB. */
export function treeMemoryMiB(pid: number): { rss: number; hwm: number } {
  let rss = 0;
  let hwm = 0;
  for (const p of processTree(pid)) {
    rss += statusKiB(p, "VmRSS");
    hwm = Math.max(hwm, statusKiB(p, "VmHWM"));
  }
  return { rss: rss / 1024, hwm: hwm / 1024 };
}

export function webServerEnv(databaseUrl: string, base: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    AUTH_URL: base,
  };
  env["NODE_ENV"] = "production";
  delete env["REDIS_URL"];
  return env;
}

/** The production build (`next build` in apps/web) under `next start`, answering /api/health. */
export async function startWebServer(opts: {
  port: number;
  databaseUrl: string;
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}): Promise<ChildProcess> {
  const base = `http://localhost:${opts.port}`;
  const nextBin = path.join(root, "node_modules/next/dist/bin/next");
  const server = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), nextBin, "start", "-p", String(opts.port)],
    {
      cwd: path.join(root, "apps/web"),
      env: { ...webServerEnv(opts.databaseUrl, base), ...opts.env },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  await waitFor(`${base}/api/health`, 120_000);
  return server;
}

export async function stopWebServer(server: ChildProcess | null) {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once("exit", r));
  server.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
}

/** The session cookie of a credentials sign-in, as a browser would get it (next-auth's CSRF round). */
export async function signIn(base: string, email: string, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
  };
  const header = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const csrf = await fetch(`${base}/api/auth/csrf`);
  keep(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: header(), origin: base },
    body: new URLSearchParams({ csrfToken, email, password, callbackUrl: `${base}/` }),
  });
  keep(res);
  if (![...jar.keys()].some((k) => k.includes("session-token"))) {
    throw new Error(`sign-in as ${email} failed: ${res.status} ${res.headers.get("location") ?? ""}`);
  }
  return header();
}

export interface Sample {
  /** performance.now() when the request was sent */
  start: number;
  ms: number;
  ok: boolean;
  /** HTTP status; 0 when no answer came (timeout, refused connection) */
  status: number;
}

/**
 * Closed loop: `clients` clients, each sending its next request as soon as the last returns, until
 * `until()` says stop. With `paceMs`, each client instead sends one request every `paceMs` (a
 * dashboard that polls). A request that has not answered after `timeoutMs` counts as an error
 * with that latency, so a server that stops answering shows up as latency, not as a hang.
 */
export async function runClients(opts: {
  cookie: string;
  urls: string[];
  clients: number;
  until: () => boolean;
  paceMs?: number;
  timeoutMs?: number;
}) {
  const { cookie, urls, clients, until, paceMs = 0, timeoutMs = 60_000 } = opts;
  const samples: Sample[] = [];
  const byUrl = new Map<string, number[]>(urls.map((u) => [u, []]));
  const sizes = new Map<string, number>();
  const t0 = performance.now();
  let next = 0;
  const client = async () => {
    if (paceMs) await new Promise((r) => setTimeout(r, Math.random() * paceMs));
    while (!until()) {
      const url = urls[next++ % urls.length]!;
      const t = performance.now();
      let ok = false;
      let status = 0;
      try {
        const res = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(timeoutMs) });
        sizes.set(url, (await res.arrayBuffer()).byteLength);
        ok = res.ok;
        status = res.status;
      } catch {} // timed out or the connection failed: an error, with the time it took
      const ms = performance.now() - t;
      samples.push({ start: t, ms, ok, status });
      byUrl.get(url)!.push(ms);
      if (paceMs && ms < paceMs) await new Promise((r) => setTimeout(r, paceMs - ms));
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { samples, byUrl, sizes, elapsed: (performance.now() - t0) / 1000 };
}

/** p50/p95/p99 of a set of samples. */
export function latencySummary(samples: Sample[]) {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const errorStatuses: Record<string, number> = {};
  for (const s of samples) if (!s.ok) errorStatuses[s.status] = (errorStatuses[s.status] ?? 0) + 1;
  return {
    requests: samples.length,
    errors: samples.filter((s) => !s.ok).length,
    /** failed requests by HTTP status (0: no answer) */
    errorStatuses,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
  };
}

/** `runClients` for `seconds`, summarised, with the server's CPU per request when `serverPid` is given. */
export async function load(opts: {
  cookie: string;
  urls: string[];
  clients: number;
  seconds: number;
  paceMs?: number;
  serverPid?: number;
}) {
  const stopAt = performance.now() + opts.seconds * 1000;
  const cpu0 = processCpuSeconds(opts.serverPid);
  const run = await runClients({ ...opts, until: () => performance.now() >= stopAt });
  const summary = latencySummary(run.samples);
  // Server CPU per request: unlike latency, this hardly moves when other work shares the machine.
  const serverCpuMsPerRequest = round(
    ((processCpuSeconds(opts.serverPid) - cpu0) * 1000) / Math.max(1, summary.requests),
  );
  return {
    ...summary,
    rps: round(summary.requests / run.elapsed),
    serverCpuMsPerRequest,
    perUrl: [...run.byUrl].map(([u, xs]) => ({
      url: u,
      bytes: run.sizes.get(u) ?? 0,
      p95: round(
        percentile(
          [...xs].sort((a, b) => a - b),
          95,
        ),
      ),
    })),
  };
}

/** The tRPC reads the study page polls: its overview and two pages of its trials table. */
export function studyPageApiUrls(base: string, org: string, studyId: string): string[] {
  const q = (proc: string, input: object) =>
    `${base}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify({ json: { org, studyId, ...input } }))}`;
  return [
    q("study.overview", {}),
    q("study.trials", { sort: "L1", dir: "asc", page: 0, pageSize: 25 }),
    q("study.trials", { sort: "number", dir: "desc", page: 3, pageSize: 25 }),
  ];
}

/** Put `section` (starting with `heading`) in docs/benchmarks.md, replacing that heading's section. */
export function replaceDocsSection(heading: string, section: string) {
  const file = path.join(root, "docs/benchmarks.md");
  const old = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const start = old.indexOf(`${heading}\n`);
  let next = start < 0 ? -1 : old.indexOf("\n## ", start + 1);
  if (next >= 0) next += 1;
  const text =
    start < 0
      ? `${old.trimEnd()}\n\n${section}`
      : `${old.slice(0, start)}${section}${next >= 0 ? `\n${old.slice(next)}` : ""}`;
  writeFileSync(file, text);
}
