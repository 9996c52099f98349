// Synthetic trials (RUNNER_SYNTHETIC_TRIAL_MS): sleep instead of training, but go through every
// write a real trial makes (claim, intermediate values, result), so dispatch tests and the
// dispatch benchmark exercise the platform with many runner processes on a small machine.
import type { TrialResult } from "@hyperensemble/engine";

const REPORTS = 4;

/** Same name and shape as the engine's errors, so the runner classifies both alike. */
export class SyntheticPrunedError extends Error {
  constructor(readonly epoch: number) {
    super(`trial pruned at epoch ${epoch}`);
    this.name = "TrialPrunedError";
  }
}
export class SyntheticCancelledError extends Error {
  constructor(readonly epoch: number) {
    super(`trial cancelled at epoch ${epoch}`);
    this.name = "TrialCancelledError";
  }
}

/** A smooth deterministic objective of the params: something for samplers to minimise. */
export function syntheticObjective(params: Record<string, unknown>): number {
  let sum = 0;
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === "number") {
      const x = Math.log10(Math.abs(value) + 1e-12);
      sum += (x + 1.5) ** 2;
    } else if (typeof value === "string") {
      sum += (name.length + value.length) % 3;
    } else if (typeof value === "boolean") {
      sum += value ? 0.5 : 0;
    }
  }
  return 1 + sum;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error("aborted"));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export interface SyntheticOptions {
  signal: AbortSignal;
  onReport: (r: { epoch: number; value: number; activeReplicas: number }) => Promise<boolean | undefined>;
}

/** Sleeps `durationMs` in REPORTS steps, reporting a decaying curve towards the objective. */
export async function runSyntheticTrial(
  params: Record<string, unknown>,
  durationMs: number,
  options: SyntheticOptions,
): Promise<TrialResult> {
  const final = syntheticObjective(params);
  for (let epoch = 1; epoch <= REPORTS; epoch++) {
    try {
      await sleep(durationMs / REPORTS, options.signal);
    } catch {
      throw new SyntheticCancelledError(epoch);
    }
    const value = final * (1 + 1 / epoch);
    if (await options.onReport({ epoch, value, activeReplicas: 1 })) throw new SyntheticPrunedError(epoch);
  }
  return {
    L1: final,
    L2: final * 1.1,
    L3: final * 0.9,
    phi2: 0.1,
    foldChi2: [final],
    foldPhi2: [0.1],
    foldCentralChi2: [final],
    replicaChi2: [final],
    epochs: REPORTS,
    backend: "synthetic",
    durationSeconds: durationMs / 1000,
  };
}
