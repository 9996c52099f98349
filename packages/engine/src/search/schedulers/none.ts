import type { Scheduler } from "../types.ts";

/** Never stops a trial early. */
export class NoScheduler implements Scheduler {
  readonly name = "none";
  shouldPrune(): boolean {
    return false;
  }
}
