/**
 * A study's sampler and scheduler as users write them: a registered name, or `{ name, options }`
 * with the options checked by that entry's own schema (engine/search registry). Errors carry the
 * path (`sampler.options.nStartupTrials`), so REST, tRPC, the CLI and the form show the same message
 * beside the same field. Also the one place that turns a stored Study row back into the engine's
 * configurations, so the runner, fillQueue and decentralized workers build the same thing.
 */
import {
  type AskOptions,
  chooseSampler,
  type Direction,
  type OptionsSchema,
  SAMPLER_NAMES,
  SAMPLER_REGISTRY,
  type SamplerConfig,
  type SamplerName,
  SCHEDULER_NAMES,
  SCHEDULER_REGISTRY,
  type SchedulerConfig,
  type SchedulerName,
  type SearchSpace,
  samplerEntry,
} from "@hyperensemble/engine/search";
import { z } from "zod";

export { SAMPLER_NAMES, SCHEDULER_NAMES };

export interface SearchComponentSpec<N extends string> {
  name: N;
  options: Record<string, unknown>;
}

const MAX_OPTIONS_BYTES = 16_384;

/**
 * The JSON schema users read (OpenAPI, docs): each registered name with its own options. Validation
 * itself runs in the transform below, whose messages name the path; this is documentation only.
 */
function documentedSchema(entries: readonly { name: string; description: string; options: OptionsSchema }[]) {
  const names = entries.map((e) => e.name) as [string, ...string[]];
  const variants = entries.map((e) =>
    z.object({ name: z.literal(e.name).describe(e.description), options: e.options.optional() }).strict(),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]];
  const { $schema: _dialect, ...doc } = z.toJSONSchema(
    z.union([z.enum(names), z.discriminatedUnion("name", variants)]),
    {
      io: "input",
      unrepresentable: "any",
    },
  ) as Record<string, unknown>;
  return doc;
}

function componentSchema<N extends string>(
  field: "sampler" | "scheduler",
  entries: readonly { name: N; description: string; options: OptionsSchema }[],
) {
  const names = entries.map((e) => e.name);
  const lookup = (name: string) => entries.find((e) => e.name === name);
  const oneOf = `${field} must be one of ${names.join(", ")}`;
  return z
    .union(
      [
        z.string(),
        z
          .object({
            name: z.string({ error: `${field}.name is required` }),
            options: z
              .record(z.string(), z.unknown(), { error: `${field}.options must be an object` })
              .optional(),
          })
          .strict(),
      ],
      { error: `${field} must be a name or { name, options }` },
    )
    .transform((value, ctx): SearchComponentSpec<N> => {
      const spec =
        typeof value === "string"
          ? { name: value, options: {} }
          : { name: value.name, options: value.options ?? {} };
      const entry = lookup(spec.name);
      if (!entry) {
        ctx.addIssue({ code: "custom", path: typeof value === "string" ? [] : ["name"], message: oneOf });
        return z.NEVER;
      }
      if (JSON.stringify(spec.options).length > MAX_OPTIONS_BYTES) {
        ctx.addIssue({ code: "custom", path: ["options"], message: `${field}.options is too large` });
        return z.NEVER;
      }
      const parsed = entry.options.safeParse(spec.options);
      if (parsed.success) return { name: spec.name as N, options: parsed.data };
      const known = Object.keys(entry.options.shape);
      for (const issue of parsed.error.issues) {
        if (issue.code === "unrecognized_keys") {
          for (const key of issue.keys) {
            ctx.addIssue({
              code: "custom",
              path: ["options", ...issue.path, key],
              message: `${field}.options.${[...issue.path, key].join(".")} is not an option of ${spec.name}${
                known.length ? ` (options: ${known.join(", ")})` : " (it takes none)"
              }`,
            });
          }
        } else {
          const path = ["options", ...issue.path.map(String)];
          ctx.addIssue({ code: "custom", path, message: `${field}.${path.join(".")}: ${issue.message}` });
        }
      }
      return z.NEVER;
    })
    .meta(documentedSchema(entries));
}

export const samplerSpecSchema = componentSchema<SamplerName>("sampler", SAMPLER_REGISTRY);
export const schedulerSpecSchema = componentSchema<SchedulerName>("scheduler", SCHEDULER_REGISTRY);

/** What a Study row stores of its search components, as parseStudyRow types it. */
export interface StudySearchRow {
  sampler: string;
  samplerOptions: unknown;
  scheduler: string;
  schedulerOptions: unknown;
  mode: string;
  /** `auto`'s recorded pick, when the row has it. */
  samplerChoice?: { name: string; reason: string } | null;
}

function storedOptions(field: "sampler" | "scheduler", name: string, options: unknown) {
  // Parsed again on read: a row written by hand or by an older version fails loudly, not silently.
  const schema = field === "sampler" ? samplerSpecSchema : schedulerSpecSchema;
  const parsed = schema.safeParse({ name, options: options ?? {} });
  if (!parsed.success) throw new Error(`stored ${field} is invalid: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The objectives a study optimises: one, or [L1, phi2] for a multi-objective sampler (NSGA-II). */
export function studyObjectives(row: { sampler: string; objective: string }): {
  names: string[];
  directions: Direction[];
} {
  // L1 against phi2 is the method's own trade-off (METHOD.md: best chi2, largest phi2).
  if (samplerEntry(row.sampler)?.multiObjective)
    return { names: ["L1", "phi2"], directions: ["minimize", "maximize"] };
  return { names: [row.objective], directions: ["minimize"] };
}

/** The options the engine's `ask` needs for this study (directions of a multi-objective study). */
export function studyAskOptions(row: { sampler: string; objective: string }): AskOptions {
  const { directions } = studyObjectives(row);
  return directions.length > 1 ? { directions } : { direction: "minimize" };
}

/** The engine configuration of a study's sampler, seeded as the caller decides. */
export function studySamplerConfig(row: StudySearchRow, seed: number): SamplerConfig {
  const { name, options } = storedOptions("sampler", row.sampler, row.samplerOptions);
  // `auto` runs what it recorded at creation (and showed), even if a later version's rule differs.
  const choice = row.samplerChoice;
  if (name === "auto" && choice && samplerEntry(choice.name)) {
    return { name: choice.name, seed } as SamplerConfig;
  }
  return { ...options, name, seed } as SamplerConfig;
}

/** The engine configuration of a study's scheduler (Hyperband draws brackets from the study seed). */
export function studySchedulerConfig(row: StudySearchRow, seed: number): SchedulerConfig {
  const { name, options } = storedOptions("scheduler", row.scheduler, row.schedulerOptions);
  return { ...options, name, seed: seed >>> 0 } as SchedulerConfig;
}

/** `auto`'s pick, recorded at creation so the page and the API show what ran. */
export function samplerChoiceFor(
  sampler: string,
  space: SearchSpace,
  objectives: number,
): { name: string; reason: string } | undefined {
  return sampler === "auto" ? { ...chooseSampler(space, objectives) } : undefined;
}

/**
 * A decentralized study's worker sampler: DBO with the study's DBO options when it names `dbo`
 * (surrogate, kappa, kappaScale, nStartupTrials), else DBO's defaults; each worker its own id.
 */
export function decentralizedSamplerConfig(
  row: StudySearchRow,
  seed: number,
  workerId: string,
): SamplerConfig {
  const own = row.sampler === "dbo" ? storedOptions("sampler", row.sampler, row.samplerOptions).options : {};
  return { surrogate: "rf", ...own, name: "dbo", seed: seed >>> 0, workerId };
}
