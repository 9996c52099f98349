import { orgProcedure, router } from "../../trpc";
import { listRunnersHandler } from "./list.handler";
import { runnerQueueHandler } from "./queue.handler";

export const runnerRouter = router({
  list: orgProcedure("study:read").query(({ ctx }) => listRunnersHandler({ ctx })),
  queue: orgProcedure("study:read").query(({ ctx }) => runnerQueueHandler({ ctx })),
});
