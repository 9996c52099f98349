// bull-board (the BullMQ dashboard) for platform admins, read-only, at /admin/bull. Two locks keep
// it read-only: every queue is registered with readOnlyMode (bull-board answers 405 to its own
// mutating routes and the UI hides their buttons), and handleBullBoardRequest refuses every method
// but GET/HEAD before bull-board sees the request.
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import type { TrialQueue } from "@hyperensemble/queue";
import type { PlatformAdminAccess } from "../auth/platform-admin";
import { WebServerAdapter } from "./web-server-adapter";

export const BULL_BOARD_BASE_PATH = "/admin/bull";

export interface BullBoardHandler {
  fetch(req: Request): Promise<Response>;
}

/** A board over the given queues, every one read-only, answering under BULL_BOARD_BASE_PATH. */
export function createReadOnlyBullBoard(queues: TrialQueue[]): BullBoardHandler {
  const server = new WebServerAdapter(BULL_BOARD_BASE_PATH);
  createBullBoard({
    queues: queues.map(
      (queue) =>
        // The adapter is typed against bullmq's default (Redis) Queue; ours is the same class bound
        // to a backend (Redis or Postgres), which bull-board 9 reads through queue.getBackend().
        new BullMQAdapter(queue as unknown as ConstructorParameters<typeof BullMQAdapter>[0], {
          readOnlyMode: true,
          allowRetries: false,
        }),
    ),
    serverAdapter: server,
    options: {
      uiConfig: {
        boardTitle: "HyperEnsemble queues",
        miscLinks: [{ text: "JSON view", url: "/admin/queues" }],
      },
    },
  });
  return server;
}

const READ_METHODS = new Set(["GET", "HEAD"]);

/**
 * The answer for a request that is not a platform admin's, the same on every admin route: anonymous
 * 401 (sign in), signed in but not an admin 403; null for an admin (go on).
 */
export function platformAdminRefusal(access: PlatformAdminAccess): Response | null {
  if (access === "anonymous")
    return Response.json(
      { error: "Sign in as a platform admin" },
      { status: 401, headers: { "cache-control": "no-store" } },
    );
  if (access !== "admin")
    return Response.json(
      { error: "Platform admins only (HENS_PLATFORM_ADMINS)" },
      { status: 403, headers: { "cache-control": "no-store" } },
    );
  return null;
}

export interface BullBoardRequestDeps {
  /** The platform-admin check on the request's session. */
  access(): Promise<PlatformAdminAccess>;
  /** The board, built on first use (only admins ever open a queue connection through it). */
  board(): BullBoardHandler;
}

/**
 * The route handler's logic: the admin check first (anonymous: sign in, or 401 for API and asset
 * requests; signed in but not an admin: 403), then only GET/HEAD reach bull-board (405 otherwise).
 */
export async function handleBullBoardRequest(req: Request, deps: BullBoardRequestDeps): Promise<Response> {
  const access = await deps.access();
  const url = new URL(req.url);
  if (access === "anonymous") {
    const page =
      !url.pathname.startsWith(`${BULL_BOARD_BASE_PATH}/api/`) &&
      !url.pathname.startsWith(`${BULL_BOARD_BASE_PATH}/static/`);
    if (page && READ_METHODS.has(req.method)) {
      return new Response(null, {
        status: 307,
        // Relative: behind a proxy the request URL's host is not necessarily the one the browser used.
        headers: { location: "/signin", "cache-control": "no-store" },
      });
    }
  }
  const refused = platformAdminRefusal(access);
  if (refused) return refused;
  if (!READ_METHODS.has(req.method)) {
    return Response.json(
      { error: "The queue dashboard is read-only" },
      { status: 405, headers: { allow: "GET, HEAD", "cache-control": "no-store" } },
    );
  }
  return deps.board().fetch(req);
}
