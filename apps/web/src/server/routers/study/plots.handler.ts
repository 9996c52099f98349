import { paramImportance, parseSearchSpace, type StoredTrial } from "@hyperensemble/engine/search";
import type { OrgContext } from "../../context-types";
import { completedTrials, selectionOf } from "./overview.handler";
import { assertStudy } from "./trials.handler";

/** Points beyond this are thinned (the best are always kept): a chart of 10k dots helps nobody. */
const MAX_POINTS = 1500;
const KEEP_BEST = 300;
const MAX_CURVES = 40;
const IMPORTANCE_TRIALS = 400;

interface PointRow {
  number: number;
  state: string;
  params: Record<string, string | number | boolean>;
  value: number | null;
  L1: number | null;
  phi2: number | null;
  foldChi2: number[] | null;
  seconds: number | null;
}

function thin<T extends { number: number; value: number | null }>(rows: T[]): T[] {
  if (rows.length <= MAX_POINTS) return rows;
  const best = new Set(
    [...rows]
      .filter((r) => r.value !== null)
      .sort((a, b) => (a.value ?? 0) - (b.value ?? 0))
      .slice(0, KEEP_BEST)
      .map((r) => r.number),
  );
  const stride = rows.length / (MAX_POINTS - KEEP_BEST);
  const picked = new Set<number>();
  for (let i = 0; i < rows.length; i += stride) picked.add(rows[Math.floor(i)]!.number);
  return rows.filter((r) => best.has(r.number) || picked.has(r.number));
}

/** Best-so-far as a step function: only the trials that improved it. */
function bestSoFar(rows: { number: number; value: number }[]) {
  const steps: { number: number; value: number }[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (const r of rows) {
    if (r.value < best) {
      best = r.value;
      steps.push({ number: r.number, value: r.value });
    }
  }
  return steps;
}

/** Everything the study page's charts draw, aggregated and thinned on the server. */
export async function studyPlotsHandler({ ctx, input }: { ctx: OrgContext; input: { studyId: string } }) {
  const study = await assertStudy(ctx, input.studyId);
  const [rows, completed] = await Promise.all([
    ctx.db.$queryRaw<PointRow[]>`
      SELECT t."number", t."state"::text AS "state", t."params", r."value", r."L1", r."phi2", r."foldChi2",
        extract(epoch FROM (t."finishedAt" - t."startedAt"))::float8 AS "seconds"
      FROM "Trial" t LEFT JOIN "TrialResult" r ON r."trialId" = t."id" AND r."orgId" = ${ctx.org.id}
      WHERE t."orgId" = ${ctx.org.id} AND t."studyId" = ${study.id}
        AND t."state" IN ('COMPLETE', 'PRUNED', 'FAIL')
      ORDER BY t."number"`,
    completedTrials(ctx, study.id),
  ]);
  const points = thin(rows);
  const selection = selectionOf(completed);

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
    const stored: StoredTrial[] = thin(rows)
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
        select: { predictions: true, closureBias: true, closureVariance: true },
      })
    : null;

  return {
    paramNames: Object.keys((study.searchSpace ?? {}) as object),
    total: rows.length,
    points,
    history: bestSoFar(completed.map((c) => ({ number: c.number, value: c.value }))),
    selection,
    curves,
    importance,
    predictions: selectedResult?.predictions ?? null,
    closure: selectedResult
      ? { bias: selectedResult.closureBias, variance: selectedResult.closureVariance }
      : null,
  };
}
