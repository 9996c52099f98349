import { sendSmallUncompressed } from "../../../../server/http";
import { createContext } from "../../../../server/trpc";
import { handleRestRequest } from "../_lib/handler";

export const dynamic = "force-dynamic";

async function handler(req: Request) {
  return sendSmallUncompressed(
    await handleRestRequest(req, { createContext: (r) => createContext({ req: r }) }),
  );
}

export { handler as DELETE, handler as GET, handler as PATCH, handler as POST, handler as PUT };
