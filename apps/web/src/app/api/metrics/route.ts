import { db } from "@/server/db";
import { renderMetrics, scrapeRefusal } from "@/server/metrics";
import { queueHealth } from "@/server/queue";

export const dynamic = "force-dynamic";

/** Prometheus scrape endpoint, behind HENS_METRICS_TOKEN (server/metrics.ts `scrapeRefusal`). */
export async function GET(req: Request) {
  const refusal = scrapeRefusal(req);
  if (refusal) return refusal;
  const depth = await queueHealth().catch(() => null);
  // A system-wide count across organizations: raw SQL past the tenant guard, numbers only.
  const byState = await db.$queryRaw<
    { state: string; n: bigint }[]
  >`SELECT "state"::text AS state, count(*) AS n FROM "Trial" GROUP BY 1`.catch(() => []);
  const body = renderMetrics([
    {
      name: "hens_queue_pending_trials",
      help: "Trial jobs waiting for a runner.",
      values: depth ? [["", depth.pending]] : [],
    },
    {
      name: "hens_queue_active_trials",
      help: "Trial jobs held by runners.",
      values: depth ? [["", depth.active]] : [],
    },
    {
      name: "hens_trials",
      help: "Trials by state.",
      values: byState.map((r) => [`state="${r.state}"`, Number(r.n)] as [string, number]),
    },
  ]);
  return new Response(body, { headers: { "content-type": "text/plain; version=0.0.4" } });
}
