import { paretoFront, type StoredTrial } from "@hyperensemble/engine/search";
import { studyObjectives } from "@hyperensemble/platform";
import type { OrgContext } from "../../context-types";

export interface ParetoPoint {
  number: number;
  L1: number;
  phi2: number;
}

/**
 * A multi-objective study's Pareto front over its objectives ([L1, phi2]: the lowest held-out chi2
 * against the widest ensemble), in trial order; null for a single-objective study.
 */
export async function studyParetoFront(
  ctx: Pick<OrgContext, "db" | "org">,
  study: { id: string; sampler: string; objective: string },
): Promise<ParetoPoint[] | null> {
  const { names, directions } = studyObjectives(study);
  if (names.length < 2) return null;
  const rows = await ctx.db.$queryRaw<ParetoPoint[]>`
    SELECT t."number", r."L1", r."phi2"
    FROM "Trial" t JOIN "TrialResult" r ON r."trialId" = t."id"
    WHERE t."orgId" = ${ctx.org.id} AND r."orgId" = ${ctx.org.id} AND t."studyId" = ${study.id}
      AND t."state" = 'COMPLETE'`;
  const trials: StoredTrial[] = rows.map((r) => ({
    number: r.number,
    params: {},
    state: "COMPLETE",
    values: [r.L1, r.phi2],
  }));
  const front = new Set(paretoFront(trials, directions).map((t) => t.number));
  return rows.filter((r) => front.has(r.number)).sort((a, b) => a.number - b.number);
}
