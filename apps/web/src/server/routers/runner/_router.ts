import { orgProcedure, router } from "../../trpc";
import { listRunnersHandler } from "./list.handler";

export const runnerRouter = router({
  list: orgProcedure("study:read").query(({ ctx }) => listRunnersHandler({ ctx })),
});
