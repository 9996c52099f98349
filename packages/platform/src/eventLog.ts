// The persisted event log (EventLog, written by the triggers of migration *_h15cli_events): what SSE
// streams and webhooks read. Ids grow in commit order, so "every event after id N" is a complete
// resume point. Every read is keyed by orgId.
import type { Db } from "@hyperensemble/db";

export const EVENT_TYPES = [
  "trial.started",
  "trial.reported",
  "trial.completed",
  "trial.pruned",
  "trial.failed",
  "trial.waiting",
  "study.state",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface LoggedEvent {
  /** The log id as a decimal string (a bigint: JSON numbers would lose precision past 2^53). */
  id: string;
  type: string;
  orgId: string;
  studyId: string | null;
  createdAt: string;
  data: unknown;
}

/** The page size of one read: a reader far behind catches up in several reads, never one huge one. */
export const EVENT_PAGE = 500;

export function parseEventId(value: string | null | undefined): bigint | null {
  if (value === null || value === undefined || !/^\d{1,19}$/.test(value.trim())) return null;
  return BigInt(value.trim());
}

/** Events of `orgId` (optionally one study) with id > `after`, oldest first. */
export async function readEvents(
  db: Db,
  opts: { orgId: string; studyId?: string | null; after: bigint; take?: number },
): Promise<LoggedEvent[]> {
  const rows = await db.eventLog.findMany({
    where: {
      orgId: opts.orgId,
      ...(opts.studyId ? { studyId: opts.studyId } : {}),
      id: { gt: opts.after },
    },
    orderBy: { id: "asc" },
    take: Math.min(opts.take ?? EVENT_PAGE, EVENT_PAGE),
  });
  return rows.map((r) => ({
    id: r.id.toString(),
    type: r.type,
    orgId: r.orgId,
    studyId: r.studyId,
    createdAt: r.createdAt.toISOString(),
    data: r.payload,
  }));
}

/** The newest id of the org's (or study's) log, 0 when empty: where a fresh subscriber starts. */
export async function latestEventId(
  db: Db,
  opts: { orgId: string; studyId?: string | null },
): Promise<bigint> {
  const row = await db.eventLog.findFirst({
    where: { orgId: opts.orgId, ...(opts.studyId ? { studyId: opts.studyId } : {}) },
    orderBy: { id: "desc" },
    select: { id: true },
  });
  return row?.id ?? 0n;
}

/** Retention: delete events older than `days`; returns how many went. Run by the webhook worker. */
export async function pruneEventLog(db: Db, days: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  // Not a tenant query: retention applies to every org alike, so it runs as raw SQL.
  return db.$executeRaw`DELETE FROM "EventLog" WHERE "createdAt" < ${cutoff}`;
}
