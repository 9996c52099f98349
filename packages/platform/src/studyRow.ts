import { parseSearchSpace, type SearchSpace } from "@hyperensemble/engine/search";
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
  // What is stored today: a name. The sampler and scheduler registries (h14search) validate it.
  sampler: z.string().min(1),
  scheduler: z.string().min(1),
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

/** Parses the JSON columns present in `row` (any select of a Study); throws StudyRowError naming them. */
export function parseStudyRow<R extends { id: string } & Partial<Record<ColumnName, unknown>>>(
  row: R,
): TypedStudy<R> {
  const present = (Object.keys(columns) as ColumnName[]).filter((k) => k in row);
  const schema = z.object(Object.fromEntries(present.map((k) => [k, columns[k]])));
  const result = schema.safeParse(row);
  if (!result.success)
    throw new StudyRowError(
      row.id,
      result.error.issues.map((i) => ({ path: i.path.join(".") || "(row)", message: i.message })),
    );
  return { ...row, ...result.data } as TypedStudy<R>;
}
