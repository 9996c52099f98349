import type { Db } from "@hyperensemble/db";
import type { RunTrialOptions, TrialSpec } from "@hyperensemble/engine";
import { nextQueuedFit, requeueStaleFits, runFit } from "@hyperensemble/platform";
import { buildRunnerTask, loadEngine } from "./processTrial.ts";

export interface FitLoopDeps {
  db: Db;
  runnerId: string;
  backend?: TrialSpec["backend"];
  trainer?: RunTrialOptions["trainer"];
  /** True while the runner trains no trial: a fit (hundreds of replicas) never shares the device. */
  idle: () => boolean;
  log: (msg: string) => void;
  intervalMs?: number;
  /** A RUNNING fit whose runner's heartbeat is older than this goes back to QUEUED (STALE_AFTER_MS). */
  staleMs?: number;
  /** Aborted (the runner's grace period is over): the running fit is handed back as QUEUED. */
  signal?: AbortSignal;
}

/**
 * Final fits (issue 16) without a queue of their own: when idle, every few seconds, the runner takes
 * the oldest QUEUED fit of any organisation and runs it (runFit's claim lets one runner win), one at
 * a time. stop() waits for a running fit to end (or, once `signal` aborts, to be handed back).
 */
export function startFitLoop(deps: FitLoopDeps): { stop(): Promise<void> } {
  let stopped = false;
  let current: Promise<void> | undefined;
  const tick = async () => {
    if (stopped || !deps.idle()) return;
    const requeued = await requeueStaleFits(deps.db, deps.staleMs ?? 60_000);
    if (requeued > 0) deps.log(`${requeued} fit(s) of stalled runners back to QUEUED`);
    const id = await nextQueuedFit(deps.db);
    if (!id || stopped) return;
    const engine = await loadEngine();
    const state = await runFit(deps.db, id, {
      runnerId: deps.runnerId,
      ...(deps.backend ? { backend: deps.backend } : {}),
      ...(deps.trainer ? { trainer: deps.trainer } : {}),
      buildTask: (json) => buildRunnerTask(engine, json),
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    if (state) deps.log(`fit ${id}: ${state}`);
  };
  const timer = setInterval(() => {
    // a tick still running (a fit training) is not stacked on
    current ??= tick()
      .catch((e: unknown) => deps.log(`fit loop: ${String(e)}`))
      .finally(() => {
        current = undefined;
      });
  }, deps.intervalMs ?? 5_000);
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
