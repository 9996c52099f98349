import type { ParamValue, SearchSpace } from "./space.ts";

export type TrialState = "WAITING" | "RUNNING" | "COMPLETE" | "PRUNED" | "FAIL";
export type Direction = "minimize" | "maximize";

export interface StoredTrial {
  number: number;
  params: Record<string, ParamValue>;
  state: TrialState;
  /** Objective of a single-objective study. */
  value?: number;
  /** Objectives of a multi-objective study (same order as the study's directions). */
  values?: number[];
  /** Intermediate values reported during training, as [step, value]; step is the fidelity (epochs). */
  intermediate?: Array<[step: number, value: number]>;
}

export interface AskOptions {
  direction?: Direction;
  /** Multi-objective studies: one direction per objective. */
  directions?: Direction[];
  /**
   * Results needed before the sampler models the history, for wrappers that hand it a filtered
   * view (ASHA + BO: a rung qualifies with `minPoints` results). A sampler's own explicit
   * nStartupTrials option wins over this; its built-in default does not.
   */
  nStartupTrials?: number;
}

/**
 * Proposes the next configuration. `trials` is the whole study history including pending
 * (WAITING/RUNNING) trials; a sampler is deterministic given its seed and that history, so any
 * worker holding the same history proposes the same thing and a resumed study continues exactly.
 */
export interface Sampler {
  readonly name: string;
  ask(space: SearchSpace, trials: readonly StoredTrial[], opts?: AskOptions): Record<string, ParamValue>;
}

/** Decides, on each reported intermediate value, whether the trial should stop now. */
export interface Scheduler {
  readonly name: string;
  shouldPrune(trial: StoredTrial, step: number, value: number, all: readonly StoredTrial[]): boolean;
}

export function isPending(t: StoredTrial): boolean {
  return t.state === "WAITING" || t.state === "RUNNING";
}

/** Sign that turns the study's objective into one to minimise. */
export function minimiseSign(direction: Direction | undefined): 1 | -1 {
  return direction === "maximize" ? -1 : 1;
}
