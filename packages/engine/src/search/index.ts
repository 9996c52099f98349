/**
 * Search: spaces, samplers, schedulers, ask/tell. Pure library code: no I/O, seeded randomness only.
 * See docs/search.md.
 */
import { z } from "zod";
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
export { trialSeed } from "./trial-seed.ts";
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

const seed = z.number().int().min(0).max(0xffffffff);
const direction = z.enum(["minimize", "maximize"]);
const positive = z.number().positive();
const multiFidelity = z
  .object({
    rungs: z.array(positive).min(1),
    minPoints: z.number().int().min(1).optional(),
    randomFraction: z.number().min(0).max(1).optional(),
  })
  .strict()
  .optional();

export const samplerConfigSchema = z.discriminatedUnion("name", [
  z.object({ name: z.literal("random"), seed, multiFidelity }).strict(),
  z
    .object({
      name: z.literal("grid"),
      seed,
      multiFidelity,
      pointsPerAxis: z.number().int().min(1).max(1000).optional(),
      ordered: z.boolean().optional(),
    })
    .strict(),
  z.object({ name: z.literal("sobol"), seed, multiFidelity, scramble: z.boolean().optional() }).strict(),
  z
    .object({
      name: z.literal("tpe"),
      seed,
      multiFidelity,
      multivariate: z.boolean().optional(),
      group: z.boolean().optional(),
      constantLiar: z.boolean().optional(),
      liarWeight: z.number().min(0).max(1).optional(),
      nStartupTrials: z.number().int().min(0).optional(),
      nEiCandidates: z.number().int().min(1).max(10000).optional(),
      priorWeight: positive.optional(),
      magicClip: z.boolean().optional(),
      widthWeighted: z.boolean().optional(),
      bandwidth: z.enum(["neighbour", "scott"]).optional(),
      magicClipCount: z.enum(["all", "split"]).optional(),
      pendingClip: z.enum(["dimension", "history"]).optional(),
    })
    .strict(),
  z
    .object({
      name: z.literal("gp"),
      seed,
      multiFidelity,
      acquisition: z.enum(["ei", "ucb"]).optional(),
      kappa: z.number().min(0).optional(),
      nStartupTrials: z.number().int().min(1).optional(),
      fitIterations: z.number().int().min(0).max(1000).optional(),
      maxPoints: z.number().int().min(5).max(2000).optional(),
      refitAllUntil: z.number().int().min(1).optional(),
      refitEvery: z.number().int().min(1).optional(),
      outputWarping: z.enum(["none", "log", "rank"]).optional(),
      noiseless: z.boolean().optional(),
      pending: z.enum(["believer-penalise", "penalise", "believer"]).optional(),
      lipschitzScale: positive.optional(),
      search: z
        .object({
          randomCandidates: z.number().int().min(0).max(100000).optional(),
          localStarts: z.number().int().min(0).max(100).optional(),
          localSteps: z.number().int().min(0).max(10000).optional(),
          perturbations: z.number().int().min(0).max(10000).optional(),
          perturbScale: z.tuple([positive, positive]).optional(),
          climbScale: positive.optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      name: z.literal("cmaes"),
      seed,
      multiFidelity,
      sigma0: positive.max(1).optional(),
      popsize: z.number().int().min(2).optional(),
    })
    .strict(),
  z
    .object({
      name: z.literal("nsga2"),
      seed,
      multiFidelity,
      populationSize: z.number().int().min(2).optional(),
      crossoverProb: z.number().min(0).max(1).optional(),
      mutationProb: z.number().min(0).max(1).optional(),
    })
    .strict(),
  z
    .object({
      name: z.literal("dbo"),
      seed,
      multiFidelity,
      surrogate: z.enum(["rf", "gp"]).optional(),
      workerId: z.string().max(200).optional(),
      kappa: z.number().min(0).optional(),
      kappaScale: positive.optional(),
      nStartupTrials: z.number().int().min(1).optional(),
    })
    .strict(),
]);

export type SamplerConfigParsed = z.output<typeof samplerConfigSchema>;

export interface SamplerConfig {
  name: "random" | "grid" | "sobol" | "tpe" | "gp" | "cmaes" | "nsga2" | "dbo";
  seed: number;
  [k: string]: unknown;
}

export const schedulerConfigSchema = z.discriminatedUnion("name", [
  z.object({ name: z.literal("none") }).strict(),
  z
    .object({
      name: z.literal("median"),
      direction: direction.optional(),
      nStartupTrials: z.number().int().min(0).optional(),
      nWarmupSteps: z.number().min(0).optional(),
      nMinTrials: z.number().int().min(1).optional(),
    })
    .strict(),
  z
    .object({
      name: z.literal("sha"),
      direction: direction.optional(),
      minResource: positive.optional(),
      eta: z.number().min(2).optional(),
      minEarlyStoppingRate: z.number().int().min(0).optional(),
      maxResource: positive.optional(),
    })
    .strict(),
  z
    .object({
      name: z.literal("hyperband"),
      direction: direction.optional(),
      minResource: positive.optional(),
      maxResource: positive.optional(),
      eta: z.number().min(2).optional(),
      seed: seed.optional(),
    })
    .strict(),
  z
    .object({
      name: z.literal("asha"),
      direction: direction.optional(),
      gracePeriod: positive.optional(),
      eta: z.number().min(2).optional(),
      maxT: positive.optional(),
    })
    .strict(),
]);

export type SchedulerConfig = z.input<typeof schedulerConfigSchema>;

/** Builds a sampler from its configuration (validated; unknown options are rejected). */
export function createSampler(config: SamplerConfig): Sampler {
  const c = samplerConfigSchema.parse(config);
  const { seed: s, multiFidelity: mf } = c;
  let sampler: Sampler;
  switch (c.name) {
    case "random":
      sampler = new RandomSampler(s);
      break;
    case "grid":
      sampler = new GridSampler(s, c);
      break;
    case "sobol":
      sampler = new SobolSampler(s, c.scramble ?? true);
      break;
    case "tpe":
      sampler = new TpeSampler(s, c);
      break;
    case "gp":
      sampler = new GpSampler(s, c);
      break;
    case "cmaes":
      sampler = new CmaEsSampler(s, c);
      break;
    case "nsga2":
      sampler = new Nsga2Sampler(s, c);
      break;
    case "dbo":
      sampler = new DecentralizedBoSampler(s, c);
      break;
  }
  return mf ? new MultiFidelitySampler(sampler, { ...mf, seed: s }) : sampler;
}

/** Builds a scheduler (pruner) from its configuration. */
export function createScheduler(config: SchedulerConfig): Scheduler {
  const c = schedulerConfigSchema.parse(config);
  switch (c.name) {
    case "none":
      return new NoScheduler();
    case "median":
      return new MedianStoppingScheduler(c);
    case "sha":
      return new SuccessiveHalvingScheduler(c);
    case "hyperband":
      return new HyperbandScheduler(c);
    case "asha":
      return new AshaScheduler(c);
  }
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
