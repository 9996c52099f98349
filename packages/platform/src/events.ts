// Live updates: trial and study changes are announced with Postgres NOTIFY on one channel; the web
// server LISTENs once and fans out to subscribers. Notifications are hints: readers re-read state.
export const EVENTS_CHANNEL = "hens_events";

export interface StudyEvent {
  orgId: string;
  studyId: string;
  kind: "trial" | "study";
}

interface RawExecutor {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>;
}

export async function notifyStudy(db: RawExecutor, event: StudyEvent): Promise<void> {
  const payload = JSON.stringify(event);
  await db.$executeRaw`SELECT pg_notify(${EVENTS_CHANNEL}, ${payload})`;
}
