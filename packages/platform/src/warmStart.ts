import type { Db } from "@hyperensemble/db";
import {
  type ParamValue,
  type SearchSpace,
  type StoredTrial,
  validateParams,
} from "@hyperensemble/engine/search";
import { StudyInputError } from "./errors.ts";

/** One completed trial of another study, as it seeds a new study's sampler. */
export interface WarmStartPoint {
  params: Record<string, ParamValue>;
  value: number;
}

const MAX_WARM_START = 10_000;
const OBJECTIVE_COLUMN = { L1: "L1", L2: "L2", L3: "L3" } as const;

/**
 * The completed trials of `fromStudyId` (same organisation only) that lie in `space`, valued by the
 * new study's objective. Refused, naming `warmStartFrom`, when the study is not found or none fits.
 */
export async function warmStartPoints(
  db: Db,
  args: { orgId: string; fromStudyId: string; space: SearchSpace; objective: keyof typeof OBJECTIVE_COLUMN },
): Promise<WarmStartPoint[]> {
  const source = await db.study.findFirst({
    where: { id: args.fromStudyId, orgId: args.orgId },
    select: { id: true },
  });
  if (!source) throw new StudyInputError("warmStartFrom", "study not found in this organization");
  const trials = await db.trial.findMany({
    where: { orgId: args.orgId, studyId: source.id, state: "COMPLETE" },
    select: { params: true, result: { select: { L1: true, L2: true, L3: true } } },
    orderBy: { number: "asc" },
    take: MAX_WARM_START,
  });
  const column = OBJECTIVE_COLUMN[args.objective];
  const points = trials.flatMap((t) => {
    const params = t.params as Record<string, ParamValue>;
    const value = t.result?.[column];
    return value != null && Number.isFinite(value) && validateParams(args.space, params).length === 0
      ? [{ params, value }]
      : [];
  });
  if (points.length === 0)
    throw new StudyInputError(
      "warmStartFrom",
      `none of that study's ${trials.length} completed trials lies in this search space`,
    );
  return points;
}

/** Stored warm-start points as history ahead of the study's own trials (negative numbers). */
export function warmStartHistory(stored: unknown): StoredTrial[] {
  if (!Array.isArray(stored)) return [];
  return stored.map((p: WarmStartPoint, i) => ({
    number: -stored.length + i,
    params: p.params,
    state: "COMPLETE",
    value: p.value,
  }));
}
