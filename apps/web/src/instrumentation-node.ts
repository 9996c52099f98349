/**
 * Validating the environment when the server starts stops a server with a bad AUTH_SECRET (or any
 * other invalid variable) at once, with the message, instead of one that answers /api/health and
 * fails every sign-in: Next.js itself only logs a failing `register` and keeps serving. `next build`
 * has no secrets to check (env.ts skips the check during the build).
 */
export async function checkEnvironmentOrExit(): Promise<void> {
  try {
    await import("./env");
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}

/**
 * The webhook delivery worker (packages/platform/src/webhooks.ts) runs in every web process unless
 * HENS_WEBHOOK_WORKER=0: several are safe together (deliveries are claimed with SKIP LOCKED).
 */
export async function startWebhookDelivery(): Promise<void> {
  const { env } = await import("./env");
  if (!env.HENS_WEBHOOK_WORKER || process.env["NEXT_PHASE"] === "phase-production-build") return;
  const { startWebhookWorker } = await import("@hyperensemble/platform");
  const { db } = await import("./server/db");
  // Its timer is unref'd: the worker never holds the process open, and a delivery cut short by exit
  // is retried (its claim lapses).
  startWebhookWorker(db, {
    allowPrivate: env.HENS_WEBHOOK_ALLOW_PRIVATE,
    retentionDays: env.HENS_EVENT_RETENTION_DAYS,
  });
}
