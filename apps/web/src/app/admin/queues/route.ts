import { databaseUrl } from "@hyperensemble/db";
import { createQueueConnection, type TrialQueue, trialQueue } from "@hyperensemble/queue";
import { auth } from "@/auth";
import { env } from "@/env";
import { isPlatformAdmin, queueSnapshot } from "./snapshot";

export const dynamic = "force-dynamic";

const globalForAdmin = globalThis as unknown as { hensAdminQueue?: TrialQueue };

/**
 * GET /admin/queues: read-only JSON view of the trial queue (depth, recent jobs per state) for
 * platform admins (HENS_PLATFORM_ADMINS); everyone else gets 404, as if it did not exist.
 */
export async function GET() {
  const session = await auth();
  if (!isPlatformAdmin(session?.user?.email, env.HENS_PLATFORM_ADMINS)) {
    return new Response("Not found", { status: 404 });
  }
  globalForAdmin.hensAdminQueue ??= trialQueue(createQueueConnection({ databaseUrl: databaseUrl() }));
  const snapshot = await queueSnapshot(globalForAdmin.hensAdminQueue);
  return Response.json(snapshot, { headers: { "cache-control": "no-store" } });
}
