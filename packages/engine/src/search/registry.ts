/**
 * Every sampler and scheduler the engine offers, one line each. A new sampler is one file that
 * calls `defineSampler` and one line here; createSampler/createScheduler, the configuration
 * schemas, the API's lists, the form's fields and docs/search.md's table all derive from these.
 */
import { z } from "zod";
import { type OptionsSchema, type SamplerEntry, type SchedulerEntry, seedSchema } from "./define.ts";
import { autoEntry } from "./samplers/auto.ts";
import { cmaesEntry } from "./samplers/cmaes.ts";
import { dboEntry } from "./samplers/dbo.ts";
import { gpEntry } from "./samplers/gp.ts";
import { gridEntry } from "./samplers/grid.ts";
import { nsga2Entry } from "./samplers/nsga2.ts";
import { randomEntry } from "./samplers/random.ts";
import { sobolEntry } from "./samplers/sobol.ts";
import { tpeEntry } from "./samplers/tpe.ts";
import { ashaEntry } from "./schedulers/asha.ts";
import { hyperbandEntry } from "./schedulers/hyperband.ts";
import { medianEntry } from "./schedulers/median.ts";
import { noneEntry } from "./schedulers/none.ts";
import { shaEntry } from "./schedulers/sha.ts";

export const SAMPLER_REGISTRY = [
  autoEntry,
  randomEntry,
  gridEntry,
  sobolEntry,
  tpeEntry,
  gpEntry,
  cmaesEntry,
  nsga2Entry,
  dboEntry,
] as const;

export const SCHEDULER_REGISTRY = [noneEntry, medianEntry, shaEntry, hyperbandEntry, ashaEntry] as const;

export type SamplerName = (typeof SAMPLER_REGISTRY)[number]["name"];
export type SchedulerName = (typeof SCHEDULER_REGISTRY)[number]["name"];

export const SAMPLER_NAMES = SAMPLER_REGISTRY.map((e) => e.name) as [SamplerName, ...SamplerName[]];
export const SCHEDULER_NAMES = SCHEDULER_REGISTRY.map((e) => e.name) as [SchedulerName, ...SchedulerName[]];

function byName<E extends { name: string }>(entries: readonly E[], kind: string) {
  const map = new Map(entries.map((e) => [e.name, e]));
  if (map.size !== entries.length) throw new Error(`two ${kind}s share a name`);
  return map;
}
const samplers = byName<SamplerEntry>(SAMPLER_REGISTRY as readonly SamplerEntry[], "sampler");
const schedulers = byName<SchedulerEntry>(SCHEDULER_REGISTRY as readonly SchedulerEntry[], "scheduler");

export function samplerEntry(name: string): SamplerEntry | undefined {
  return samplers.get(name);
}

export function schedulerEntry(name: string): SchedulerEntry | undefined {
  return schedulers.get(name);
}

/** The ASHA + BO wrapper: any sampler models the history at a rung (see MultiFidelitySampler). */
export const multiFidelitySchema = z
  .object({
    rungs: z.array(z.number().positive()).min(1),
    minPoints: z.number().int().min(1).optional(),
    randomFraction: z.number().min(0).max(1).optional(),
  })
  .strict();

function withName<O extends OptionsSchema>(name: string, options: O, extra: z.core.$ZodLooseShape) {
  return options.extend({ name: z.literal(name), ...extra });
}

/** A whole sampler configuration as the engine takes it: name, seed, the entry's options. */
export const samplerConfigSchema = z.discriminatedUnion(
  "name",
  SAMPLER_REGISTRY.map((e) =>
    withName(e.name, e.options, { seed: seedSchema, multiFidelity: multiFidelitySchema.optional() }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

/** A whole scheduler configuration: name, the entry's options, and the seed Hyperband draws with. */
export const schedulerConfigSchema = z.discriminatedUnion(
  "name",
  SCHEDULER_REGISTRY.map((e) => withName(e.name, e.options, { seed: seedSchema.optional() })) as unknown as [
    z.ZodObject,
    ...z.ZodObject[],
  ],
);

// From the shape rather than z.input: a strict empty object's input is Record<string, never>.
type OptionsOf<O extends OptionsSchema> = { [K in keyof O["shape"]]?: z.input<O["shape"][K]> };
type ConfigOf<E, Extra> = E extends { name: infer N; options: infer O extends OptionsSchema }
  ? { name: N } & Extra & OptionsOf<O>
  : never;

export type SamplerConfig = ConfigOf<
  (typeof SAMPLER_REGISTRY)[number],
  { seed: number; multiFidelity?: z.input<typeof multiFidelitySchema> }
>;
export type SchedulerConfig = ConfigOf<(typeof SCHEDULER_REGISTRY)[number], { seed?: number }>;
