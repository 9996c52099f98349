import { db } from "@/server/db";
import { queueHealth } from "@/server/queue";

export const dynamic = "force-dynamic";

/** How long a dependency may take to answer before it counts as down (probes must get an answer). */
const CHECK_TIMEOUT_MS = 3_000;

/** true when `check` resolves within the timeout; a client that retries forever (ioredis) cannot hang it. */
function answers(check: () => Promise<unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
    check().then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

/** Readiness: 200 only when Postgres and the queue answer. */
export async function GET() {
  const [dbOk, queueOk] = await Promise.all([answers(() => db.$queryRaw`SELECT 1`), answers(queueHealth)]);
  const body = { db: dbOk ? "ok" : "down", queue: queueOk ? "ok" : "down" };
  return Response.json(body, { status: dbOk && queueOk ? 200 : 503 });
}
