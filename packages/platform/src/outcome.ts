// How a trial ended, as people should read it. The database keeps Optuna's five trial states; a
// trial stopped by the study's Cancel is stored as FAIL with one of these reasons, and everything
// shown to people (pages, counts, "Rerun failed") treats it as cancelled, not as a failure.

/** The reason Cancel writes on the trials it stops (waiting ones and running ones alike). */
export const CANCELLED_TRIAL_REASON = "study cancelled";

/** Reasons of cancelled trials: the runner writes "cancelled" on the running ones it aborts. */
export const CANCELLED_TRIAL_REASONS = [CANCELLED_TRIAL_REASON, "cancelled"] as const;

export function isCancelledTrial(state: string, error: string | null | undefined): boolean {
  return state === "FAIL" && (CANCELLED_TRIAL_REASONS as readonly string[]).includes(error ?? "");
}

/** The state to display: Optuna's state, or CANCELLED for a trial the study's Cancel stopped. */
export function trialOutcome(state: string, error: string | null | undefined): string {
  return isCancelledTrial(state, error) ? "CANCELLED" : state;
}
