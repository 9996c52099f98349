/**
 * How a sampler or scheduler registers itself: its name, a strict zod schema of its options (each
 * option documented with its default), a factory and a one-line description. Each sampler's and
 * scheduler's own file calls `defineSampler`/`defineScheduler`; registry.ts lists them, and the
 * engine's `createSampler`/`createScheduler`, the API's lists and schemas and docs/search.md's table
 * all derive from those entries. Kept apart from registry.ts so a sampler file can import it
 * without an import cycle.
 */
import { z } from "zod";
import type { Sampler, Scheduler } from "./types.ts";

/** What a documented option carries besides its type: shown in docs, the form and OpenAPI. */
export interface OptionDoc {
  description: string;
  /** The value used when the option is left out (a rule in words where it depends on the space). */
  default: number | string | boolean;
}

/**
 * An optional option with its documentation attached as zod metadata, so the docs table, the form
 * and the JSON schema read one source. The default is documented, not applied: the factories keep
 * their own defaults, and some (GP startup trials) depend on the space or on a wrapper's request.
 */
export function option<T extends z.ZodType>(schema: T, doc: OptionDoc) {
  return schema.optional().meta({ description: doc.description, default: doc.default });
}

/** An entry's option schema: a strict object of documented options. */
export type OptionsSchema = z.ZodObject<Record<string, z.ZodType>, z.core.$strict>;

export interface SamplerEntry<N extends string = string, O extends OptionsSchema = OptionsSchema> {
  readonly kind: "sampler";
  readonly name: N;
  readonly description: string;
  readonly options: O;
  /** Proposes for several objectives at once (a Pareto front rather than one best value). */
  readonly multiObjective: boolean;
  /** Enumerates a finite grid: continuous parameters are discretised, and the grid size is capped. */
  readonly finiteGrid: boolean;
  create(seed: number, options: z.output<O>): Sampler;
}

export interface SchedulerEntry<N extends string = string, O extends OptionsSchema = OptionsSchema> {
  readonly kind: "scheduler";
  readonly name: N;
  readonly description: string;
  readonly options: O;
  /** The study's seed reaches the factory (Hyperband draws each trial's bracket). */
  create(options: z.output<O>, seed: number): Scheduler;
}

export function defineSampler<const N extends string, O extends OptionsSchema>(
  entry: Omit<SamplerEntry<N, O>, "kind" | "multiObjective" | "finiteGrid"> &
    Partial<Pick<SamplerEntry<N, O>, "multiObjective" | "finiteGrid">>,
): SamplerEntry<N, O> {
  return { kind: "sampler", multiObjective: false, finiteGrid: false, ...entry };
}

export function defineScheduler<const N extends string, O extends OptionsSchema>(
  entry: Omit<SchedulerEntry<N, O>, "kind">,
): SchedulerEntry<N, O> {
  return { kind: "scheduler", ...entry };
}

/** Options shared by every entry's schema. */
export const seedSchema = z.number().int().min(0).max(0xffffffff);
export const directionOption = option(z.enum(["minimize", "maximize"]), {
  description: "Direction of the reported values (the platform's losses are minimised)",
  default: "minimize",
});

/** How a form edits an option (the form's fields are generated from the schema). */
export type OptionControl =
  | { kind: "number"; integer: boolean }
  | { kind: "boolean" }
  | { kind: "enum"; choices: string[] }
  | { kind: "string" }
  | { kind: "object" };

function controlOf(field: z.ZodType): OptionControl {
  const inner = field instanceof z.ZodOptional ? (field.unwrap() as z.ZodType) : field;
  if (inner instanceof z.ZodNumber) return { kind: "number", integer: inner.format === "safeint" };
  if (inner instanceof z.ZodBoolean) return { kind: "boolean" };
  if (inner instanceof z.ZodEnum) return { kind: "enum", choices: inner.options.map(String) };
  if (inner instanceof z.ZodString) return { kind: "string" };
  return { kind: "object" };
}

export interface DocumentedOption extends OptionDoc {
  name: string;
  control: OptionControl;
}

/** Documentation of each option, read back from its metadata (for docs, the form and tests). */
export function optionDocs(schema: OptionsSchema): DocumentedOption[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const meta = field.meta() as Partial<OptionDoc> | undefined;
    if (!meta?.description || meta.default === undefined) {
      throw new Error(`option ${name} has no documented description and default`);
    }
    return { name, description: meta.description, default: meta.default, control: controlOf(field) };
  });
}
