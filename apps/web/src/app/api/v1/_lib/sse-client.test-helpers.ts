// A minimal server-sent-events reader for tests: what an EventSource would see, with the raw ids.
export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

/** Read events from `url` until `until(events)` is true or `timeoutMs` passes; then disconnect. */
export async function readSse(
  url: string,
  opts: {
    token: string;
    lastEventId?: string;
    until: (events: SseEvent[]) => boolean;
    timeoutMs?: number;
    /** Called once the response's headers arrive: the server has fixed where the stream starts. */
    onOpen?: () => void;
  },
): Promise<{ status: number; contentType: string | null; events: SseEvent[] }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs ?? 30_000);
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, {
      headers: {
        authorization: `Bearer ${opts.token}`,
        accept: "text/event-stream",
        ...(opts.lastEventId ? { "last-event-id": opts.lastEventId } : {}),
      },
      signal: abort.signal,
    });
    opts.onOpen?.();
    if (!res.ok || !res.body)
      return { status: res.status, contentType: res.headers.get("content-type"), events };
    const decoder = new TextDecoder();
    let buffer = "";
    const reader = res.body.getReader();
    try {
      while (!opts.until(events)) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            if (colon < 0) continue;
            fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, "");
          }
          if (fields["data"] !== undefined)
            events.push({
              id: fields["id"] ?? "",
              event: fields["event"] ?? "message",
              data: fields["data"],
            });
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
    await reader.cancel().catch(() => undefined);
    return { status: res.status, contentType: res.headers.get("content-type"), events };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
