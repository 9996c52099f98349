import { adminTrialQueue, currentPlatformAdminAccess } from "@/server/admin/context";
import { handleQueuesRequest } from "./snapshot";

export const dynamic = "force-dynamic";

/**
 * GET /admin/queues: read-only JSON view of the trial queue (depth, recent jobs per state) for
 * platform admins (HENS_PLATFORM_ADMINS); signed out 401, signed in but not an admin 403, as on every
 * admin route. The same queues in the bull-board UI: /admin/bull (linked from `dashboard` and the
 * Link header).
 */
export function GET(): Promise<Response> {
  return handleQueuesRequest({ access: currentPlatformAdminAccess, queue: adminTrialQueue });
}
