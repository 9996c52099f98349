// What the admin routes share at runtime: the one platform-admin check on the signed-in session,
// and one handle on the trial queue (BullMQ on Redis, or on Postgres) per web process.
import { databaseUrl } from "@hyperensemble/db";
import { createQueueConnection, type TrialQueue, trialQueue } from "@hyperensemble/queue";
import { auth } from "@/auth";
import { env } from "@/env";
import { type PlatformAdminAccess, storedPlatformAdminAccess } from "../auth/platform-admin";
import { db } from "../db";

/**
 * The current request's session against HENS_PLATFORM_ADMINS: the signed-in user's email as stored,
 * looked up by the session's user id (an email claim in the cookie is never read).
 */
export async function currentPlatformAdminAccess(): Promise<PlatformAdminAccess> {
  return storedPlatformAdminAccess(db, (await auth())?.user?.id, env.HENS_PLATFORM_ADMINS);
}

const globalForAdmin = globalThis as unknown as { hensAdminQueue?: TrialQueue };

export function adminTrialQueue(): TrialQueue {
  globalForAdmin.hensAdminQueue ??= trialQueue(createQueueConnection({ databaseUrl: databaseUrl() }));
  return globalForAdmin.hensAdminQueue;
}
