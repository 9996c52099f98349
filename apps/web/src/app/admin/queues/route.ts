import { BULL_BOARD_BASE_PATH } from "@/server/admin/bull-board";
import { adminTrialQueue, currentPlatformAdminAccess } from "@/server/admin/context";
import { queueSnapshot } from "./snapshot";

export const dynamic = "force-dynamic";

/**
 * GET /admin/queues: read-only JSON view of the trial queue (depth, recent jobs per state) for
 * platform admins (HENS_PLATFORM_ADMINS); everyone else gets 404, as if it did not exist. The same
 * queues in the bull-board UI: /admin/bull (linked from `dashboard` and the Link header).
 */
export async function GET() {
  if ((await currentPlatformAdminAccess()) !== "admin") {
    return new Response("Not found", { status: 404 });
  }
  const snapshot = await queueSnapshot(adminTrialQueue());
  return Response.json(
    { ...snapshot, dashboard: BULL_BOARD_BASE_PATH },
    {
      headers: {
        "cache-control": "no-store",
        link: `<${BULL_BOARD_BASE_PATH}>; rel="alternate"; type="text/html"`,
      },
    },
  );
}
