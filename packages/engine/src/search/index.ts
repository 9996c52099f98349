/**
 * Search: spaces, samplers, schedulers, ask/tell. Pure library code: no I/O, seeded randomness only.
 * See docs/search.md.
 */
import type { z } from "zod";
import {
  type multiFidelitySchema,
  type SamplerConfig,
  type SchedulerConfig,
  samplerConfigSchema,
  samplerEntry,
  schedulerConfigSchema,
  schedulerEntry,
} from "./registry.ts";
import { CmaEsSampler } from "./samplers/cmaes.ts";
import { DecentralizedBoSampler } from "./samplers/dbo.ts";
import { GpSampler } from "./samplers/gp.ts";
import { GridSampler } from "./samplers/grid.ts";
import { MultiFidelitySampler } from "./samplers/multifidelity.ts";
import { Nsga2Sampler } from "./samplers/nsga2.ts";
import { RandomSampler } from "./samplers/random.ts";
import { SobolSampler } from "./samplers/sobol.ts";
import { TpeSampler } from "./samplers/tpe.ts";
import { AshaScheduler } from "./schedulers/asha.ts";
import { HyperbandScheduler } from "./schedulers/hyperband.ts";
import { MedianStoppingScheduler } from "./schedulers/median.ts";
import { NoScheduler } from "./schedulers/none.ts";
import { SuccessiveHalvingScheduler } from "./schedulers/sha.ts";
import type { Sampler, Scheduler } from "./types.ts";

export { mixSeed, SearchRng } from "../rng.ts";
export {
  type DocumentedOption,
  defineSampler,
  defineScheduler,
  type OptionControl,
  type OptionDoc,
  type OptionsSchema,
  option,
  optionDocs,
  type SamplerEntry,
  type SchedulerEntry,
} from "./define.ts";
export { RandomForest } from "./forest.ts";
export { paramImportance } from "./importance.ts";
export { fromOptunaJson, type OptunaDistributionJson, toOptunaJson } from "./optuna.ts";
export {
  crowdingDistance,
  dominates,
  lossVector,
  nonDominatedSort,
  paretoFront,
  scalarize,
} from "./pareto.ts";
export {
  multiFidelitySchema,
  SAMPLER_NAMES,
  SAMPLER_REGISTRY,
  type SamplerConfig,
  type SamplerName,
  SCHEDULER_NAMES,
  SCHEDULER_REGISTRY,
  type SchedulerConfig,
  type SchedulerName,
  samplerConfigSchema,
  samplerEntry,
  schedulerConfigSchema,
  schedulerEntry,
} from "./registry.ts";
export {
  AUTO_GP_MAX_PARAMS,
  AUTO_HUGE_PARAMS,
  type AutoChoice,
  type AutoChoiceName,
  AutoSampler,
  chooseSampler,
} from "./samplers/auto.ts";
export type { CmaEsOptions } from "./samplers/cmaes.ts";
export { type DecentralizedBoOptions, workerKappa } from "./samplers/dbo.ts";
export type { AcquisitionSearch } from "./samplers/encoding.ts";
export type { GpOptions } from "./samplers/gp.ts";
export type { GridOptions } from "./samplers/grid.ts";
export type { MultiFidelityOptions } from "./samplers/multifidelity.ts";
export { rungView } from "./samplers/multifidelity.ts";
export type { Nsga2Options } from "./samplers/nsga2.ts";
export { sobolPoint } from "./samplers/sobol.ts";
export { OPTUNA31_TPE, type TpeOptions } from "./samplers/tpe.ts";
export type { AshaOptions } from "./schedulers/asha.ts";
export type { HyperbandOptions } from "./schedulers/hyperband.ts";
export type { MedianStoppingOptions } from "./schedulers/median.ts";
export type { SuccessiveHalvingOptions } from "./schedulers/sha.ts";
export {
  type CategoricalParam,
  type Condition,
  containsValue,
  type FloatParam,
  type IntParam,
  isActive,
  isReservedName,
  MAX_CHOICES,
  MAX_CONDITION_DEPTH,
  MAX_PARAMS,
  ownSpec,
  ownValue,
  type ParamSpec,
  type ParamValue,
  parseSearchSpace,
  type SearchSpace,
  SearchSpaceError,
  searchSpaceSchema,
  validateParams,
} from "./space.ts";
export {
  InMemoryTrialStorage,
  Study,
  type StudyOptions,
  type TrialPatch,
  type TrialResult,
  type TrialStorage,
} from "./study.ts";
export { samplerSeed } from "./trial-seed.ts";
export type { AskOptions, Direction, Sampler, Scheduler, StoredTrial, TrialState } from "./types.ts";
export {
  AshaScheduler,
  CmaEsSampler,
  DecentralizedBoSampler,
  GpSampler,
  GridSampler,
  HyperbandScheduler,
  MedianStoppingScheduler,
  MultiFidelitySampler,
  NoScheduler,
  Nsga2Sampler,
  RandomSampler,
  SobolSampler,
  SuccessiveHalvingScheduler,
  TpeSampler,
};

/** Builds a sampler from its configuration (validated by its registry entry; unknown options are rejected). */
export function createSampler(config: SamplerConfig): Sampler {
  const {
    name,
    seed: s,
    multiFidelity: mf,
    ...options
  } = samplerConfigSchema.parse(config) as {
    name: string;
    seed: number;
    multiFidelity?: z.output<typeof multiFidelitySchema>;
  };
  // The discriminated union above accepted the name, so the entry exists.
  const sampler = samplerEntry(name)!.create(s, options);
  return mf ? new MultiFidelitySampler(sampler, { ...mf, seed: s }) : sampler;
}

/** Builds a scheduler (pruner) from its configuration (validated by its registry entry). */
export function createScheduler(config: SchedulerConfig): Scheduler {
  const {
    name,
    seed: s,
    ...options
  } = schedulerConfigSchema.parse(config) as { name: string; seed?: number };
  return schedulerEntry(name)!.create(options, s ?? 0);
}

/**
 * ASHA + BO: an ASHA scheduler and a sampler that models the highest rung (the rungs plus maxT)
 * with at least `minPoints` results, a `randomFraction` of proposals (1/3) drawn at random.
 */
export function createAshaBo(
  sampler: SamplerConfig,
  asha: { gracePeriod?: number; eta?: number; maxT?: number; direction?: "minimize" | "maximize" },
  options: { minPoints?: number; randomFraction?: number } = {},
): { sampler: Sampler; scheduler: AshaScheduler } {
  const scheduler = new AshaScheduler(asha);
  const inner = createSampler(sampler);
  return {
    scheduler,
    sampler: new MultiFidelitySampler(inner, {
      rungs: [...scheduler.rungs, asha.maxT ?? 100],
      seed: sampler.seed,
      ...options,
    }),
  };
}
