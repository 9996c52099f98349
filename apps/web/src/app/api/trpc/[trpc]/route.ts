import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { sendSmallUncompressed } from "@/server/http";
import { withRequestMetrics } from "@/server/metrics";
import { appRouter } from "@/server/routers/_app";
import { createContext } from "@/server/trpc";

export const dynamic = "force-dynamic";

const handler = withRequestMetrics("trpc", async (req: Request) =>
  sendSmallUncompressed(
    await fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router: appRouter,
      createContext: () => createContext({ req }),
    }),
  ),
);

export { handler as GET, handler as POST };
