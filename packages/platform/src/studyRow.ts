import {
  parseSearchSpace,
  SAMPLER_NAMES,
  SCHEDULER_NAMES,
  type SearchSpace,
  samplerEntry,
  schedulerEntry,
} from "@hyperensemble/engine/search";
import { z } from "zod";

/**
 * The Study row's JSON columns, parsed once by one schema into a typed study wherever a row is read
 * (the runner's trial spec, the web's clone and study page, the sampler's fill), so that a bad row
 * fails loudly, naming its column, instead of travelling on through casts.
 */
const count = z.number().int().min(1);

export const storedTaskSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("closure"), level: z.union([z.literal(0), z.literal(1), z.literal(2)]) }),
  z.object({ kind: z.literal("dataset"), datasetId: z.string().min(1) }),
]);

const columns = {
  task: storedTaskSchema,
  ensemble: z.object({ replicas: count, folds: count }),
  training: z.object({ maxEpochs: count, reportEvery: count }),
  // Names from the engine's registries; their options are checked against the named entry's own
  // schema below, once both columns are in the select.
  sampler: z.enum(SAMPLER_NAMES),
  samplerOptions: z.record(z.string(), z.unknown()),
  scheduler: z.enum(SCHEDULER_NAMES),
  schedulerOptions: z.record(z.string(), z.unknown()),
  // `auto`'s pick, recorded at creation; null for every other sampler.
  samplerChoice: z.object({ name: z.enum(SAMPLER_NAMES), reason: z.string() }).nullable(),
  // Fixed settings, checked against the trainer and the space at creation; `{}` for older studies.
  fixed: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  searchSpace: z.unknown().transform((doc, ctx): SearchSpace => {
    try {
      return parseSearchSpace(doc);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
      return z.NEVER;
    }
  }),
};
type Columns = typeof columns;
type ColumnName = keyof Columns;

export type StoredTask = z.output<typeof storedTaskSchema>;
/** A study row with its JSON columns typed (those the query selected). */
export type TypedStudy<R> = Omit<R, ColumnName> & { [K in ColumnName & keyof R]: z.output<Columns[K]> };

export class StudyRowError extends Error {
  constructor(
    readonly studyId: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`study ${studyId} has an invalid row: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    this.name = "StudyRowError";
  }
}

// Each options column is checked by the schema of the entry its name column names, when a query
// selected both: apart from the columns' own parse, so one bad row reports every bad column at once.
const OPTIONS_OF = [
  ["sampler", "samplerOptions", samplerEntry],
  ["scheduler", "schedulerOptions", schedulerEntry],
] as const;

function optionsIssues(row: Partial<Record<ColumnName, unknown>>): z.core.$ZodIssue[] {
  return OPTIONS_OF.flatMap(([nameColumn, optionsColumn, entryOf]) => {
    const name = row[nameColumn];
    const options = row[optionsColumn];
    if (typeof name !== "string" || !(optionsColumn in row)) return [];
    const parsed = entryOf(name)?.options.safeParse(options);
    return parsed?.success === false
      ? parsed.error.issues.map((i) => ({ ...i, path: [optionsColumn, ...i.path] }))
      : [];
  });
}

/** Parses the JSON columns present in `row` (any select of a Study); throws StudyRowError naming them. */
export function parseStudyRow<R extends { id: string } & Partial<Record<ColumnName, unknown>>>(
  row: R,
): TypedStudy<R> {
  const present = (Object.keys(columns) as ColumnName[]).filter((k) => k in row);
  const schema = z.object(Object.fromEntries(present.map((k) => [k, columns[k]])));
  const result = schema.safeParse(row);
  const issues = [...(result.success ? [] : result.error.issues), ...optionsIssues(row)];
  if (!result.success || issues.length > 0)
    throw new StudyRowError(
      row.id,
      issues.map((i) => ({ path: i.path.join(".") || "(row)", message: i.message })),
    );
  return { ...row, ...result.data } as TypedStudy<R>;
}
