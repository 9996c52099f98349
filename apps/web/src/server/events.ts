import { databaseUrl } from "@hyperensemble/db";
import { EVENTS_CHANNEL, type StudyEvent } from "@hyperensemble/platform";
import pg from "pg";

type Listener = (event: StudyEvent) => void;

/** One LISTEN connection per web process, fanned out to every live subscriber. */
class StudyEventHub {
  private listeners = new Set<Listener>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    void this.ensureConnected();
    return () => this.listeners.delete(listener);
  }

  private ensureConnected(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: databaseUrl() });
      client.on("notification", (msg) => {
        if (!msg.payload) return;
        try {
          const event = JSON.parse(msg.payload) as StudyEvent;
          for (const l of this.listeners) l(event);
        } catch {
          // A malformed payload is ignored: notifications are only hints to re-read state.
        }
      });
      client.on("error", () => {
        this.client = null;
        this.connecting = null;
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${EVENTS_CHANNEL}`);
        this.client = client;
      } catch (error) {
        // Postgres unreachable: live hints pause (streams still send heartbeats and pages re-read
        // on them); the next subscriber tries again. Never an unhandled rejection.
        await client.end().catch(() => undefined);
        console.warn(`study events: LISTEN failed, live updates paused: ${String(error)}`);
      }
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }
}

const globalForHub = globalThis as unknown as { hensHub?: StudyEventHub };
export const studyEvents = globalForHub.hensHub ?? new StudyEventHub();
globalForHub.hensHub = studyEvents;

/** Async iterator of events for one study until `signal` aborts; a heartbeat every `idleMs`. */
export async function* studyEventStream(
  orgId: string,
  studyId: string,
  signal: AbortSignal | undefined,
  idleMs = 15_000,
): AsyncGenerator<{ kind: string; at: number }> {
  const pending: StudyEvent[] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = studyEvents.subscribe((e) => {
    if (e.orgId !== orgId || e.studyId !== studyId) return;
    pending.push(e);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    while (!signal?.aborted) {
      if (pending.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, idleMs);
        });
        wake = null;
      }
      if (signal?.aborted) break;
      // Coalesce a burst of notifications into one refresh for the client.
      const kind = pending.length > 0 ? (pending.at(-1)?.kind ?? "trial") : "heartbeat";
      pending.length = 0;
      yield { kind, at: Date.now() };
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener("abort", onAbort);
  }
}
