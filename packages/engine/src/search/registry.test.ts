/**
 * One contract over every registered sampler and scheduler (Optuna runs one storage suite over every
 * storage): a sampler that registers itself must pass it, with nothing to add here.
 */
import { describe, expect, it } from "vitest";
import { optionDocs } from "./define.ts";
import { createSampler, createScheduler } from "./index.ts";
import {
  SAMPLER_REGISTRY,
  type SamplerConfig,
  SCHEDULER_REGISTRY,
  type SchedulerConfig,
} from "./registry.ts";
import { chooseSampler } from "./samplers/auto.ts";
import { branin2, conditionalObjective, conditionalSpace } from "./samplers/testing.ts";
import { parseSearchSpace, validateParams } from "./space.ts";
import type { AskOptions, Sampler, StoredTrial } from "./types.ts";

const sampler = (name: string, seed: number) => createSampler({ name, seed } as SamplerConfig);
const scheduler = (name: string, seed = 0) => createScheduler({ name, seed } as SchedulerConfig);

function askOptions(multiObjective: boolean): AskOptions {
  return multiObjective ? { directions: ["minimize", "minimize"] } : { direction: "minimize" };
}

/** A sequential history on the conditional space, every proposal checked as it is made. */
function history(s: Sampler, n: number, multiObjective: boolean): StoredTrial[] {
  const trials: StoredTrial[] = [];
  for (let i = 0; i < n; i++) {
    const params = s.ask(conditionalSpace, trials, askOptions(multiObjective));
    expect(validateParams(conditionalSpace, params), `trial ${i}`).toEqual([]);
    const value = conditionalObjective(params);
    trials.push({
      number: i,
      params,
      state: "COMPLETE",
      value,
      ...(multiObjective ? { values: [value, (params["dropout"] as number) * 2 - value] } : {}),
    });
  }
  return trials;
}

describe.each(SAMPLER_REGISTRY.map((e) => [e.name, e] as const))("sampler %s", (name, entry) => {
  const mo = entry.multiObjective;

  it("documents every option with a description and a default", () => {
    for (const doc of optionDocs(entry.options)) {
      expect(doc.description.length, doc.name).toBeGreaterThan(5);
    }
    expect(entry.description.length).toBeGreaterThan(10);
  });

  it("refuses an unknown option, naming it", () => {
    expect(() => createSampler({ name, seed: 0, notAnOption: 1 } as SamplerConfig)).toThrow(/notAnOption/);
  });

  it("proposes a valid configuration on an empty history", () => {
    for (const space of [conditionalSpace, branin2]) {
      expect(validateParams(space, sampler(name, 3).ask(space, [], askOptions(mo)))).toEqual([]);
    }
  });

  it("proposes valid configurations on a conditional space as the history grows", () => {
    expect(history(sampler(name, 1), 24, mo)).toHaveLength(24);
  });

  it("is deterministic for a seed and a history, whichever instance asks", () => {
    const trials = history(sampler(name, 7), 14, mo);
    const a = sampler(name, 7).ask(conditionalSpace, trials, askOptions(mo));
    const b = sampler(name, 7);
    b.ask(conditionalSpace, trials.slice(0, 5), askOptions(mo)); // a used instance answers the same
    expect(b.ask(conditionalSpace, trials, askOptions(mo))).toEqual(a);
  });

  it("takes pending trials into account without proposing invalid ones", () => {
    const trials = history(sampler(name, 2), 12, mo);
    const pending: StoredTrial[] = [...trials];
    for (let i = 0; i < 4; i++) {
      const params = sampler(name, 2).ask(conditionalSpace, pending, askOptions(mo));
      expect(validateParams(conditionalSpace, params)).toEqual([]);
      pending.push({ number: pending.length, params, state: i % 2 ? "WAITING" : "RUNNING" });
    }
    // With pending trials in the history the next ask is still deterministic.
    expect(sampler(name, 2).ask(conditionalSpace, pending, askOptions(mo))).toEqual(
      sampler(name, 2).ask(conditionalSpace, pending, askOptions(mo)),
    );
  });

  it("reports its registered name", () => {
    expect(sampler(name, 0).name).toBe(name);
  });
});

/** Ten finished trials with values 1..10 at steps 1..32, and one running trial (number `number`). */
function schedulerHistory(number: number): { trial: StoredTrial; all: StoredTrial[] } {
  const steps = [1, 2, 4, 8, 16, 32];
  const all: StoredTrial[] = Array.from({ length: 10 }, (_, i) => ({
    number: i,
    params: {},
    state: "COMPLETE",
    value: i + 1,
    intermediate: steps.map((s) => [s, i + 1] as [number, number]),
  }));
  const trial: StoredTrial = { number, params: {}, state: "RUNNING", intermediate: [] };
  all.push(trial);
  return { trial, all };
}

function runTrial(name: string, value: number, number = 10): boolean {
  const s = scheduler(name, 5);
  const { trial, all } = schedulerHistory(number);
  for (const step of [1, 2, 4, 8, 16, 32]) {
    trial.intermediate!.push([step, value]);
    if (s.shouldPrune(trial, step, value, all)) return true;
  }
  return false;
}

describe.each(SCHEDULER_REGISTRY.map((e) => [e.name, e] as const))("scheduler %s", (name, entry) => {
  it("documents every option with a description and a default", () => {
    for (const doc of optionDocs(entry.options)) expect(doc.description.length, doc.name).toBeGreaterThan(5);
  });

  it("refuses an unknown option, naming it", () => {
    expect(() => createScheduler({ name, notAnOption: 1 } as SchedulerConfig)).toThrow(/notAnOption/);
  });

  it("never stops the first trial nor a trial better than every other", () => {
    const first: StoredTrial = { number: 0, params: {}, state: "RUNNING", intermediate: [[1, 5]] };
    expect(scheduler(name).shouldPrune(first, 1, 5, [first])).toBe(false);
    for (let n = 10; n < 20; n++) expect(runTrial(name, 0.5, n), `trial ${n}`).toBe(false);
  });

  it("decides the same for the same history", () => {
    for (let n = 10; n < 20; n++) expect(runTrial(name, 50, n)).toBe(runTrial(name, 50, n));
  });

  it("stops a trial worse than every other (except the scheduler that never stops)", () => {
    const stopped = Array.from({ length: 10 }, (_, i) => runTrial(name, 50, 10 + i));
    expect(stopped.some(Boolean)).toBe(name !== "none");
  });

  it("reports its registered name", () => {
    expect(scheduler(name).name).toBe(name);
  });
});

describe("auto", () => {
  const numeric = (n: number) =>
    parseSearchSpace(
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, { type: "float", low: 0, high: 1 }])),
    );

  it("picks per space by the documented rule", () => {
    expect(chooseSampler(branin2).name).toBe("gp");
    expect(chooseSampler(numeric(8)).name).toBe("gp");
    expect(chooseSampler(numeric(9)).name).toBe("tpe");
    expect(chooseSampler(conditionalSpace).name).toBe("tpe");
    expect(chooseSampler(parseSearchSpace({ o: { type: "categorical", choices: ["a", "b"] } })).name).toBe(
      "tpe",
    );
    expect(chooseSampler(numeric(40)).name).toBe("sobol");
    expect(chooseSampler(branin2, 2).name).toBe("nsga2");
  });

  it("asks the sampler it chose", () => {
    const trials = history(sampler("gp", 4), 12, false);
    expect(sampler("auto", 4).ask(conditionalSpace, trials)).toEqual(
      sampler("tpe", 4).ask(conditionalSpace, trials),
    );
  });
});
