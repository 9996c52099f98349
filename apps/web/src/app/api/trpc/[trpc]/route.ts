import { sendSmallUncompressed } from "@/server/http";
import { withRequestMetrics } from "@/server/metrics";
import { appRouter } from "@/server/routers/_app";
import { createContext } from "@/server/trpc";
import { handleTrpcRequest } from "@/server/trpc-http";

export const dynamic = "force-dynamic";

const handler = withRequestMetrics("trpc", async (req: Request) =>
  sendSmallUncompressed(
    await handleTrpcRequest(req, { router: appRouter, createContext: (r) => createContext({ req: r }) }),
  ),
);

export { handler as GET, handler as POST };
