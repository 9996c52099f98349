// Server-sent events from the persisted event log (packages/platform/src/eventLog.ts): what REST's
// /events routes answer. The log is the source of truth and NOTIFY only the wake-up, so a reader
// resuming with Last-Event-ID after a restart of this process (or a dropped connection) gets every
// event after that id, in order, once. A poll every `pollMs` covers a lost LISTEN connection.
import type { Db } from "@hyperensemble/db";
import { type LoggedEvent, readEvents, type StudyEvent } from "@hyperensemble/platform";
import { studyEvents } from "./events";

export interface EventStreamOptions {
  orgId: string;
  /** One study's events; null: the whole org. */
  studyId: string | null;
  /** Send events with id > after. */
  after: bigint;
  signal?: AbortSignal;
  /** Re-read the log at least this often even without a notification. Default 2 s. */
  pollMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream. Default 15 s. */
  keepAliveMs?: number;
  /** The wake-up source (default: the process's LISTEN hub). */
  subscribe?: (listener: (event: StudyEvent) => void) => () => void;
}

export function formatSse(event: LoggedEvent): string {
  const data = JSON.stringify({
    id: event.id,
    type: event.type,
    studyId: event.studyId,
    createdAt: event.createdAt,
    data: event.data,
  });
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${data}\n\n`;
}

export function eventStreamResponse(db: Db, opts: EventStreamOptions, headers: Record<string, string> = {}) {
  const encoder = new TextEncoder();
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener("abort", onAbort);
  let wake: (() => void) | null = null;
  const unsubscribe = (opts.subscribe ?? ((l) => studyEvents.subscribe(l)))((e) => {
    if (e.orgId === opts.orgId && (opts.studyId === null || e.studyId === opts.studyId)) wake?.();
  });
  const pollMs = opts.pollMs ?? 2000;
  const keepAliveMs = opts.keepAliveMs ?? 15_000;
  const cleanup = () => {
    stop.abort();
    unsubscribe();
    opts.signal?.removeEventListener("abort", onAbort);
    wake?.();
  };

  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      let after = opts.after;
      let lastWrite = Date.now();
      const write = (text: string) => {
        controller.enqueue(encoder.encode(text));
        lastWrite = Date.now();
      };
      // The client's reconnection delay (EventSource honours it).
      write(`retry: ${pollMs}\n\n`);
      try {
        while (!stop.signal.aborted) {
          const events = await readEvents(db, {
            orgId: opts.orgId,
            studyId: opts.studyId,
            after,
          });
          for (const event of events) write(formatSse(event));
          after = events.length > 0 ? BigInt(events.at(-1)?.id ?? after) : after;
          if (events.length > 0) continue; // a reader far behind reads page after page
          if (Date.now() - lastWrite >= keepAliveMs) write(": keep-alive\n\n");
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, Math.min(pollMs, keepAliveMs));
          });
          wake = null;
        }
        controller.close();
      } catch (err) {
        // The client went away (enqueue on a cancelled stream) or the database did: end the stream;
        // the client resumes with Last-Event-ID.
        if (!stop.signal.aborted) console.warn(`event stream: ${(err as Error).message}`);
        try {
          controller.close();
        } catch {}
      } finally {
        cleanup();
      }
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      ...headers,
      "Content-Type": "text/event-stream; charset=utf-8",
      // no-transform: Next's compression would otherwise buffer the stream.
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    },
  });
}
