/**
 * Ask/tell over a storage interface. The study holds no state of its own beyond configuration:
 * every decision reads the stored trials, so sequential, parallel (pending trials visible) and
 * resumed studies all behave the same. In-memory storage here; the Postgres store implements the
 * same interface in the platform.
 */
import { type ParamValue, type SearchSpace, validateParams } from "./space.ts";
import type { Direction, Sampler, Scheduler, StoredTrial, TrialState } from "./types.ts";

export type TrialPatch = Partial<Pick<StoredTrial, "state" | "value" | "values" | "intermediate">>;

export interface TrialStorage {
  /** All trials of the study, ordered by number. */
  listTrials(studyId: string): Promise<StoredTrial[]>;
  /** Creates a trial with the next number. */
  createTrial(
    studyId: string,
    params: Record<string, ParamValue>,
    state: "WAITING" | "RUNNING",
  ): Promise<StoredTrial>;
  /** Atomically moves the oldest WAITING trial to RUNNING and returns it (enqueued configurations). */
  claimWaiting(studyId: string): Promise<StoredTrial | undefined>;
  updateTrial(studyId: string, number: number, patch: TrialPatch): Promise<StoredTrial>;
  appendIntermediate(studyId: string, number: number, step: number, value: number): Promise<StoredTrial>;
}

export class InMemoryTrialStorage implements TrialStorage {
  private readonly studies = new Map<string, StoredTrial[]>();

  private list(studyId: string): StoredTrial[] {
    let trials = this.studies.get(studyId);
    if (!trials) {
      trials = [];
      this.studies.set(studyId, trials);
    }
    return trials;
  }

  private find(studyId: string, number: number): StoredTrial {
    const trial = this.list(studyId).find((t) => t.number === number);
    if (!trial) throw new Error(`trial ${number} not found in study ${studyId}`);
    return trial;
  }

  async listTrials(studyId: string) {
    return this.list(studyId).map(cloneTrial);
  }

  async createTrial(studyId: string, params: Record<string, ParamValue>, state: "WAITING" | "RUNNING") {
    const trials = this.list(studyId);
    const trial: StoredTrial = { number: trials.length, params: { ...params }, state };
    trials.push(trial);
    return cloneTrial(trial);
  }

  async claimWaiting(studyId: string) {
    const trial = this.list(studyId).find((t) => t.state === "WAITING");
    if (!trial) return undefined;
    trial.state = "RUNNING";
    return cloneTrial(trial);
  }

  async updateTrial(studyId: string, number: number, patch: TrialPatch) {
    const trial = this.find(studyId, number);
    Object.assign(trial, patch);
    return cloneTrial(trial);
  }

  async appendIntermediate(studyId: string, number: number, step: number, value: number) {
    const trial = this.find(studyId, number);
    trial.intermediate = [...(trial.intermediate ?? []).filter(([s]) => s !== step), [step, value]];
    return cloneTrial(trial);
  }
}

function cloneTrial(t: StoredTrial): StoredTrial {
  return {
    ...t,
    params: { ...t.params },
    ...(t.values ? { values: [...t.values] } : {}),
    ...(t.intermediate ? { intermediate: t.intermediate.map(([s, v]) => [s, v] as [number, number]) } : {}),
  };
}

export interface StudyOptions {
  storage: TrialStorage;
  studyId: string;
  space: SearchSpace;
  sampler: Sampler;
  scheduler?: Scheduler;
  direction?: Direction;
  /** Multi-objective studies: one direction per objective (tell with `values`). */
  directions?: Direction[];
  /**
   * Finished trials from another study with a compatible space: the sampler sees them as history
   * (renumbered below zero) but they are never stored here.
   */
  warmStart?: readonly StoredTrial[];
}

export interface TrialResult {
  value?: number;
  values?: number[];
  state?: Extract<TrialState, "COMPLETE" | "FAIL" | "PRUNED">;
}

export class Study {
  constructor(private readonly o: StudyOptions) {}

  get space(): SearchSpace {
    return this.o.space;
  }

  /** Queues a configuration to run before any sampled one (validated against the space). */
  async enqueue(params: Record<string, ParamValue>): Promise<StoredTrial> {
    const problems = validateParams(this.o.space, params);
    if (problems.length) throw new Error(`enqueued configuration is invalid: ${problems.join("; ")}`);
    return this.o.storage.createTrial(this.o.studyId, params, "WAITING");
  }

  /** The next trial to run: an enqueued one if any, else a fresh proposal from the sampler. */
  async ask(): Promise<StoredTrial> {
    const queued = await this.o.storage.claimWaiting(this.o.studyId);
    if (queued) return queued;
    const history = await this.history();
    const params = this.o.sampler.ask(this.o.space, history, {
      ...(this.o.direction ? { direction: this.o.direction } : {}),
      ...(this.o.directions ? { directions: this.o.directions } : {}),
    });
    return this.o.storage.createTrial(this.o.studyId, params, "RUNNING");
  }

  /** Records an intermediate value; returns true (and marks the trial PRUNED) when it should stop. */
  async report(number: number, step: number, value: number): Promise<boolean> {
    const trials = await this.o.storage.listTrials(this.o.studyId);
    const trial = trials.find((t) => t.number === number);
    if (!trial) throw new Error(`trial ${number} not found`);
    const prune = this.o.scheduler?.shouldPrune(trial, step, value, trials) ?? false;
    await this.o.storage.appendIntermediate(this.o.studyId, number, step, value);
    if (prune) await this.o.storage.updateTrial(this.o.studyId, number, { state: "PRUNED" });
    return prune;
  }

  async tell(number: number, result: TrialResult): Promise<StoredTrial> {
    const state = result.state ?? "COMPLETE";
    const patch: TrialPatch = { state };
    if (result.value !== undefined) patch.value = result.value;
    if (result.values !== undefined) patch.values = result.values;
    if (state === "COMPLETE" && result.value === undefined && result.values === undefined) {
      throw new Error("a COMPLETE trial needs value or values");
    }
    return this.o.storage.updateTrial(this.o.studyId, number, patch);
  }

  async trials(): Promise<StoredTrial[]> {
    return this.o.storage.listTrials(this.o.studyId);
  }

  /** Best COMPLETE trial of a single-objective study. */
  async bestTrial(): Promise<StoredTrial | undefined> {
    const sign = this.o.direction === "maximize" ? -1 : 1;
    let best: StoredTrial | undefined;
    for (const t of await this.trials()) {
      if (t.state !== "COMPLETE" || t.value === undefined) continue;
      if (!best || sign * t.value < sign * best.value!) best = t;
    }
    return best;
  }

  /** Sequential convenience loop: ask, evaluate, tell. */
  async optimize(objective: (params: Record<string, ParamValue>) => number, nTrials: number): Promise<void> {
    for (let i = 0; i < nTrials; i++) {
      const trial = await this.ask();
      let value: number;
      try {
        value = objective(trial.params);
      } catch {
        await this.tell(trial.number, { state: "FAIL" });
        continue;
      }
      await this.tell(trial.number, { value });
    }
  }

  private async history(): Promise<StoredTrial[]> {
    const own = await this.o.storage.listTrials(this.o.studyId);
    const warm = this.o.warmStart ?? [];
    return [...warm.map((t, i) => ({ ...t, number: i - warm.length })), ...own];
  }
}
