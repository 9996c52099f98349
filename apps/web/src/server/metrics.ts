// Prometheus metrics of one web process: request latency by route and status, plus gauges read at
// scrape time (queue depth, trials by state). Hand-rolled text exposition: no client library needed.
import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "../env";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface Series {
  counts: number[];
  sum: number;
  count: number;
}

const globalForMetrics = globalThis as unknown as { hensMetrics?: Map<string, Series> };
const requests = globalForMetrics.hensMetrics ?? new Map<string, Series>();
globalForMetrics.hensMetrics = requests;

export function observeRequest(route: string, status: number, seconds: number): void {
  const key = `route="${route}",status="${status}"`;
  let s = requests.get(key);
  if (!s) {
    s = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
    requests.set(key, s);
  }
  BUCKETS.forEach((b, i) => {
    if (seconds <= b) s.counts[i] = (s.counts[i] ?? 0) + 1;
  });
  s.sum += seconds;
  s.count += 1;
}

/** Wrap a route handler so its latency and status land in hens_http_request_duration_seconds. */
export function withRequestMetrics<A extends unknown[]>(
  route: string,
  handler: (req: Request, ...rest: A) => Promise<Response>,
): (req: Request, ...rest: A) => Promise<Response> {
  return async (req, ...rest) => {
    const t0 = performance.now();
    let status = 500;
    try {
      const res = await handler(req, ...rest);
      status = res.status;
      return res;
    } finally {
      observeRequest(route, status, (performance.now() - t0) / 1000);
    }
  };
}

export function renderMetrics(
  gauges: { name: string; help: string; values: [labels: string, value: number][] }[],
): string {
  const lines: string[] = [
    "# HELP hens_http_request_duration_seconds API request latency by route and status.",
    "# TYPE hens_http_request_duration_seconds histogram",
  ];
  for (const [labels, s] of requests) {
    BUCKETS.forEach((b, i) => {
      lines.push(`hens_http_request_duration_seconds_bucket{${labels},le="${b}"} ${s.counts[i] ?? 0}`);
    });
    lines.push(`hens_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
    lines.push(`hens_http_request_duration_seconds_sum{${labels}} ${s.sum}`);
    lines.push(`hens_http_request_duration_seconds_count{${labels}} ${s.count}`);
  }
  for (const g of gauges) {
    lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
    for (const [labels, v] of g.values) lines.push(`${g.name}${labels ? `{${labels}}` : ""} ${v}`);
  }
  return `${lines.join("\n")}\n`;
}

// --- Who may scrape --------------------------------------------------------------------------------
//
// /api/metrics shows trial counts by state and per-route traffic of the whole platform, so it is not
// public: Prometheus sends `Authorization: Bearer <HENS_METRICS_TOKEN>`. Without a token configured the
// endpoint is off (404) in production and open elsewhere (a laptop, the quickstart, tests).

export interface MetricsAccessOptions {
  /** HENS_METRICS_TOKEN, if set. */
  token: string | undefined;
  production: boolean;
}

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/** null when the scrape may proceed, else the refusal to send (401 with a challenge, or 404). */
export function metricsRefusal(req: Request, options: MetricsAccessOptions): Response | null {
  if (options.token === undefined) {
    return options.production ? new Response("not found\n", { status: 404 }) : null;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "");
  // Hashes have equal length, so the comparison takes the same time whatever the guess.
  if (match?.[1] && timingSafeEqual(digest(match[1]), digest(options.token))) return null;
  return new Response("send Authorization: Bearer <HENS_METRICS_TOKEN>\n", {
    status: 401,
    headers: { "WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store" },
  });
}

/** metricsRefusal with this process's settings (HENS_METRICS_TOKEN, NODE_ENV). */
export function scrapeRefusal(req: Request): Response | null {
  return metricsRefusal(req, { token: env.HENS_METRICS_TOKEN, production: env.NODE_ENV === "production" });
}
