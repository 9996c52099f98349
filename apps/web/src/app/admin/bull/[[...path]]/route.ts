import {
  type BullBoardHandler,
  createReadOnlyBullBoard,
  handleBullBoardRequest,
} from "@/server/admin/bull-board";
import { adminTrialQueue, currentPlatformAdminAccess } from "@/server/admin/context";

export const dynamic = "force-dynamic";

const globalForBoard = globalThis as unknown as { hensBullBoard?: BullBoardHandler };

/**
 * /admin/bull/**: bull-board, read-only, for platform admins (HENS_PLATFORM_ADMINS). Every method is
 * routed here so that anything but GET/HEAD is refused by our own check, not only by bull-board's.
 */
function handler(req: Request): Promise<Response> {
  return handleBullBoardRequest(req, {
    access: currentPlatformAdminAccess,
    board: () => {
      globalForBoard.hensBullBoard ??= createReadOnlyBullBoard([adminTrialQueue()]);
      return globalForBoard.hensBullBoard;
    },
  });
}

export {
  handler as DELETE,
  handler as GET,
  handler as HEAD,
  handler as OPTIONS,
  handler as PATCH,
  handler as POST,
  handler as PUT,
};
