import { router } from "../trpc";
import { orgRouter } from "./org/_router";
import { studyRouter } from "./study/_router";

export const appRouter = router({ org: orgRouter, study: studyRouter });
export type AppRouter = typeof appRouter;
