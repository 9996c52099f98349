import { parseEventId } from "@hyperensemble/platform";
import { z } from "zod";
import { eventStreamResponse } from "../../../../server/event-stream";
import type { RestRoute, StreamArgs } from "./routes";

/**
 * Server-sent events from the persisted log (docs/api.md, "Push"). The tRPC procedure decides who
 * may read (study read scope; the study in this org) and where a fresh reader starts; the stream
 * resumes after `Last-Event-ID` (or `?after=`), so a reconnect, even to another web process or
 * after a restart, misses no event still within HENS_EVENT_RETENTION_DAYS.
 */
const ZEventsQuery = z.object({
  after: z.string().optional().describe("resume after this event id (the Last-Event-ID header wins)"),
});

function openStream({ ctx, result, req, parts, headers }: StreamArgs): Response {
  const scope = result as { orgId: string; studyId: string | null; latestId: string };
  const after =
    parseEventId(req.headers.get("last-event-id")) ??
    parseEventId(parts.query.get("after")) ??
    BigInt(scope.latestId);
  return eventStreamResponse(
    ctx.db,
    { orgId: scope.orgId, studyId: scope.studyId, after, signal: req.signal },
    headers,
  );
}

export const EVENT_ROUTES: RestRoute[] = [
  {
    method: "GET",
    path: "/orgs/{org}/studies/{studyId}/events",
    procedure: "event.streamScope",
    kind: "query",
    summary:
      "Server-sent events of one study (trial.started|reported|completed|pruned|failed|waiting, study.state); resumable with Last-Event-ID",
    tag: "events",
    scope: "studies:read",
    query: ZEventsQuery,
    input: ({ params }) => ({ org: params["org"], studyId: params["studyId"] }),
    stream: openStream,
  },
  {
    method: "GET",
    path: "/orgs/{org}/events",
    procedure: "event.streamScope",
    kind: "query",
    summary: "Server-sent events of every study of the org; resumable with Last-Event-ID",
    tag: "events",
    scope: "studies:read",
    query: ZEventsQuery,
    input: ({ params }) => ({ org: params["org"] }),
    stream: openStream,
  },
];
