import { z } from "zod";
import { defineScheduler } from "../define.ts";
import type { Scheduler } from "../types.ts";

/** Never stops a trial early. */
export class NoScheduler implements Scheduler {
  readonly name = "none";
  shouldPrune(): boolean {
    return false;
  }
}

export const noneEntry = defineScheduler({
  name: "none",
  description: "Never stops a trial early.",
  options: z.object({}).strict(),
  create: () => new NoScheduler(),
});
