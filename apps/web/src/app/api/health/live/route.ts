export const dynamic = "force-dynamic";

/**
 * Liveness: 200 whenever the process answers HTTP, without touching Postgres or the queue (an outage of
 * either must not restart every web pod) and without credentials (unlike /api/metrics, which needs
 * HENS_METRICS_TOKEN and so cannot be a kubelet probe).
 */
export function GET() {
  return Response.json({ live: true }, { headers: { "Cache-Control": "no-store" } });
}
