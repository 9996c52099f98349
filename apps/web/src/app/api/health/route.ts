import { db } from "@/server/db";
import { queueHealth } from "@/server/queue";

export const dynamic = "force-dynamic";

/** Readiness: 200 only when Postgres and the queue answer. */
export async function GET() {
  const [dbOk, queueOk] = await Promise.all([
    db.$queryRaw`SELECT 1`.then(
      () => true,
      () => false,
    ),
    queueHealth().then(
      () => true,
      () => false,
    ),
  ]);
  const body = { db: dbOk ? "ok" : "down", queue: queueOk ? "ok" : "down" };
  return Response.json(body, { status: dbOk && queueOk ? 200 : 503 });
}
