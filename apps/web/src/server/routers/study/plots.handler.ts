import { paramImportance, parseSearchSpace, type StoredTrial } from "@hyperensemble/engine/search";
import type { OrgContext } from "../../context-types";
import { cachedStudyRead } from "./cache";
import { bestSoFar, studySelection } from "./selection";
import { assertStudy } from "./trials.handler";

/** Points beyond this are thinned (the best are always kept): a chart of 10k dots helps nobody. */
const MAX_POINTS = 1500;
const KEEP_BEST = 300;
const MAX_CURVES = 40;
const IMPORTANCE_TRIALS = 250;

interface PointRow {
  number: number;
  state: string;
  params: Record<string, string | number | boolean>;
  value: number | null;
  L1: number | null;
  phi2: number | null;
  foldChi2: number[] | null;
  seconds: number | null;
  closureBias: number | null;
  closureVariance: number | null;
}

/** Everything the study page's charts draw, aggregated and thinned on the server (and cached). */
export async function studyPlotsHandler({ ctx, input }: { ctx: OrgContext; input: { studyId: string } }) {
  const study = await assertStudy(ctx, input.studyId);
  return cachedStudyRead(ctx.org.id, study.id, "plots", () => loadPlots(ctx, study));
}

async function loadPlots(ctx: OrgContext, study: { id: string; searchSpace: unknown }) {
  // Thinned in SQL: the KEEP_BEST best by objective plus an even sample by trial number.
  const [points, totals, history, selection] = await Promise.all([
    ctx.db.$queryRaw<PointRow[]>`
      SELECT "number", "state", "params", "value", "L1", "phi2", "foldChi2", "seconds", "closureBias",
        "closureVariance" FROM (
        SELECT t."number", t."state"::text AS "state", t."params", r."value", r."L1", r."phi2", r."foldChi2",
          r."closureBias", r."closureVariance",
          extract(epoch FROM (t."finishedAt" - t."startedAt"))::float8 AS "seconds",
          row_number() OVER (ORDER BY t."number") AS "rn",
          rank() OVER (ORDER BY r."value" ASC NULLS LAST) AS "rk",
          count(*) OVER () AS "n"
        FROM "Trial" t LEFT JOIN "TrialResult" r ON r."trialId" = t."id" AND r."orgId" = ${ctx.org.id}
        WHERE t."orgId" = ${ctx.org.id} AND t."studyId" = ${study.id}
          AND t."state" IN ('COMPLETE', 'PRUNED', 'FAIL')
      ) x
      WHERE "n" <= ${MAX_POINTS} OR "rk" <= ${KEEP_BEST}
        OR "rn" % ceil("n"::float8 / ${MAX_POINTS - KEEP_BEST})::int = 0
      ORDER BY "number"`,
    ctx.db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS "n" FROM "Trial"
      WHERE "orgId" = ${ctx.org.id} AND "studyId" = ${study.id} AND "state" IN ('COMPLETE', 'PRUNED', 'FAIL')`,
    bestSoFar(ctx, study.id),
    studySelection(ctx, study.id),
  ]);

  // Learning curves: the most recent trials that reported (running ones included).
  const recent = await ctx.orgDb.trial.findMany({
    where: { orgId: ctx.org.id, studyId: study.id, state: { in: ["RUNNING", "COMPLETE", "PRUNED"] } },
    orderBy: { number: "desc" },
    take: MAX_CURVES,
    select: { id: true, number: true, state: true },
  });
  const values = await ctx.orgDb.intermediateValue.findMany({
    where: { orgId: ctx.org.id, trialId: { in: recent.map((t) => t.id) } },
    orderBy: { step: "asc" },
    select: { trialId: true, step: true, value: true },
  });
  const curves = recent.map((t) => ({
    number: t.number,
    state: t.state,
    points: values.filter((v) => v.trialId === t.id).map((v) => [v.step, v.value] as [number, number]),
  }));

  let importance: Record<string, number> = {};
  try {
    const space = parseSearchSpace(study.searchSpace);
    const stored: StoredTrial[] = points
      .filter((r) => r.state === "COMPLETE" && r.value !== null)
      .slice(-IMPORTANCE_TRIALS)
      .map((r) => ({ number: r.number, params: r.params, state: "COMPLETE", value: r.value! }));
    importance = paramImportance(space, stored, { seed: 0 });
  } catch {
    // A space the engine cannot read (older studies) just has no importance chart.
  }

  const selectedResult = selection
    ? await ctx.orgDb.trialResult.findFirst({
        where: { orgId: ctx.org.id, trialId: selection.selected.id },
        select: { predictions: true, closureBias: true, closureVariance: true, replicaChi2: true },
      })
    : null;

  return {
    paramNames: Object.keys((study.searchSpace ?? {}) as object),
    /** Each parameter's kind and range, so charts put log and integer parameters on their own axes. */
    paramSpecs: axisSpecs(study.searchSpace),
    total: totals[0]?.n ?? 0,
    points,
    history,
    selection,
    curves,
    importance,
    predictions: selectedResult?.predictions ?? null,
    closure: selectedResult
      ? { bias: selectedResult.closureBias, variance: selectedResult.closureVariance }
      : null,
    /** The selected trial's result for the physics panel (components/physics). */
    physics: selectedResult,
  };
}

type AxisSpecOut = {
  type: string;
  low?: number;
  high?: number;
  log: boolean;
  choices?: (string | number | boolean)[];
};

/** The search space as chart axes: type, declared range, log flag and choices of each parameter. */
export function axisSpecs(space: unknown): Record<string, AxisSpecOut> {
  const out: Record<string, AxisSpecOut> = {};
  for (const [name, raw] of Object.entries((space ?? {}) as Record<string, Record<string, unknown>>)) {
    const low = typeof raw["low"] === "number" ? raw["low"] : undefined;
    const high = typeof raw["high"] === "number" ? raw["high"] : undefined;
    out[name] = {
      type: String(raw["type"] ?? "float"),
      ...(low !== undefined ? { low } : {}),
      ...(high !== undefined ? { high } : {}),
      log: raw["log"] === true,
      ...(Array.isArray(raw["choices"]) ? { choices: raw["choices"] as (string | number | boolean)[] } : {}),
    };
  }
  return out;
}
