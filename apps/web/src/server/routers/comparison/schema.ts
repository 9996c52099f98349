import { z } from "zod";

// Saved comparisons (issue 20): a name, 2–6 studies of the org, and the Compare page's view options.

export const COMPARISON_NAME_MAX = 80;
export const MAX_COMPARISON_OPTIONS = 20;

const id = (field: string) =>
  z.string({ error: `${field} is required` }).min(1, { error: `${field} is required` });

/** View options as the Compare page keeps them in its URL: short keys, short text values. */
export const ZComparisonOptions = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, {
      error: "options: a key is a letter then letters, digits or _ (≤ 40)",
    }),
    z
      .string({ error: "options: each value must be text" })
      .max(200, { error: "options: a value is at most 200 characters" }),
    { error: "options must be an object of text values" },
  )
  .refine((o) => Object.keys(o).length <= MAX_COMPARISON_OPTIONS, {
    error: `options: at most ${MAX_COMPARISON_OPTIONS} options`,
  });

export const ZCreateComparison = z.object({
  name: z
    .string({ error: "name is required" })
    .trim()
    .min(1, { error: "name is required" })
    .max(COMPARISON_NAME_MAX, { error: `name must be at most ${COMPARISON_NAME_MAX} characters` }),
  studyIds: z
    .array(id("studyIds item"), { error: "studyIds must be a list of study ids" })
    .min(2, { error: "studyIds: pick at least 2 studies" })
    .max(6, { error: "studyIds: pick at most 6 studies" })
    .refine((ids) => new Set(ids).size === ids.length, { error: "studyIds: a study is listed twice" }),
  options: ZComparisonOptions.default({}),
});
export type CreateComparisonInput = z.output<typeof ZCreateComparison>;

export const ZComparisonRef = z.object({ comparisonId: id("comparisonId") });
