// The read-only queue view for platform admins (operators, not organisation members): queue depth
// and the most recent jobs per state. Nothing here changes a job. Job payloads are identifiers only.
import { type QueueDepth, queueDepth, type TrialQueue } from "@hyperensemble/queue";
import { BULL_BOARD_BASE_PATH, platformAdminRefusal } from "../../../server/admin/bull-board";
import type { PlatformAdminAccess } from "../../../server/auth/platform-admin";

const STATES = ["active", "waiting", "prioritized", "delayed", "failed", "completed"] as const;

export interface JobView {
  id: string | undefined;
  trialId: string;
  studyId: string;
  orgId: string;
  attemptsMade: number;
  enqueuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  failedReason: string | null;
}

export interface QueueSnapshot {
  queue: string;
  depth: QueueDepth;
  jobs: Record<(typeof STATES)[number], JobView[]>;
}

export async function queueSnapshot(queue: TrialQueue, perState = 50): Promise<QueueSnapshot> {
  const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
  const jobs = {} as QueueSnapshot["jobs"];
  for (const state of STATES) {
    const list = await queue.getJobs([state], 0, perState - 1, false);
    jobs[state] = list
      .filter((j) => j !== undefined && j !== null)
      .map((j) => ({
        id: j.id,
        trialId: j.data.trialId,
        studyId: j.data.studyId,
        orgId: j.data.orgId,
        attemptsMade: j.attemptsMade,
        enqueuedAt: new Date(j.timestamp).toISOString(),
        startedAt: iso(j.processedOn),
        finishedAt: iso(j.finishedOn),
        failedReason: j.failedReason ?? null,
      }));
  }
  return { queue: queue.name, depth: await queueDepth(queue), jobs };
}

/**
 * GET /admin/queues: the snapshot as JSON for platform admins; anyone else gets what every admin
 * route answers (platformAdminRefusal: 401 signed out, 403 signed in). The queue is opened only for
 * an admin.
 */
export async function handleQueuesRequest(deps: {
  access(): Promise<PlatformAdminAccess>;
  queue(): TrialQueue;
}): Promise<Response> {
  const refused = platformAdminRefusal(await deps.access());
  if (refused) return refused;
  const snapshot = await queueSnapshot(deps.queue());
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
