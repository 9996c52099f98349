import { selectConfiguration } from "@hyperensemble/engine";
import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";

const FINISHED = new Set(["COMPLETE", "PRUNED", "FAIL"]);
const TERMINAL_STUDY = new Set(["COMPLETED", "CANCELLED", "FAILED"]);

export interface CompletedRow {
  id: string;
  number: number;
  L1: number;
  phi2: number;
  value: number;
  durationSeconds: number;
}

/** L1/phi2 of every completed trial of one study: one indexed join, a few floats per row. */
export function completedTrials(ctx: OrgContext, studyId: string) {
  return ctx.db.$queryRaw<CompletedRow[]>`
    SELECT t."id", t."number", r."L1", r."phi2", r."value", r."durationSeconds"
    FROM "Trial" t JOIN "TrialResult" r ON r."trialId" = t."id"
    WHERE t."orgId" = ${ctx.org.id} AND r."orgId" = ${ctx.org.id}
      AND t."studyId" = ${studyId} AND t."state" = 'COMPLETE'
    ORDER BY t."number"`;
}

/** NNPDF's best-chi2/worst-phi2 pick and the plain argmin, as trial numbers. */
export function selectionOf(rows: CompletedRow[]) {
  if (rows.length === 0) return null;
  const sel = selectConfiguration(rows.map((r) => ({ id: r.id, L1: r.L1, phi2: r.phi2 })));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const pick = (id: string) => {
    const r = byId.get(id)!;
    return { id: r.id, number: r.number, L1: r.L1, phi2: r.phi2 };
  };
  return {
    argmin: pick(sel.argmin),
    selected: pick(sel.selected),
    window: sel.window,
    top10: sel.top10.map((id) => byId.get(id)!.number),
  };
}

/**
 * The study page's header: counts, progress, ETA, budget and the selection, all aggregated in the
 * database so it stays cheap with 10,000 trials (the trial rows come page by page from study.trials).
 */
export async function studyOverviewHandler({ ctx, input }: { ctx: OrgContext; input: { studyId: string } }) {
  const study = await ctx.orgDb.study.findFirst({
    where: { id: input.studyId, orgId: ctx.org.id },
    include: { owner: { select: { name: true, email: true } }, dataset: { select: { name: true } } },
  });
  if (!study) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  const [byState, completed] = await Promise.all([
    ctx.db.$queryRaw<{ state: string; n: number; avgSeconds: number | null }[]>`
      SELECT "state"::text AS "state", count(*)::int AS "n",
        avg(extract(epoch FROM ("finishedAt" - "startedAt")))::float8 AS "avgSeconds"
      FROM "Trial" WHERE "orgId" = ${ctx.org.id} AND "studyId" = ${study.id}
      GROUP BY "state"`,
    completedTrials(ctx, study.id),
  ]);
  const counts: Record<string, number> = { WAITING: 0, RUNNING: 0, COMPLETE: 0, PRUNED: 0, FAIL: 0 };
  let finishedSeconds = 0;
  let finished = 0;
  for (const row of byState) {
    counts[row.state] = row.n;
    if (FINISHED.has(row.state) && row.avgSeconds !== null && row.state !== "FAIL") {
      finishedSeconds += row.avgSeconds * row.n;
      finished += row.n;
    }
  }
  const done = (counts["COMPLETE"] ?? 0) + (counts["PRUNED"] ?? 0) + (counts["FAIL"] ?? 0);
  const remaining = Math.max(0, study.maxTrials - done);
  const avgTrialSeconds = finished > 0 ? finishedSeconds / finished : null;
  const lanes = Math.max(1, Math.min(study.parallelism, remaining));
  const etaSeconds =
    TERMINAL_STUDY.has(study.state) || study.state === "PAUSED" || avgTrialSeconds === null
      ? null
      : Math.ceil(remaining / lanes) * avgTrialSeconds;
  const now = Date.now();
  const wallSeconds = study.startedAt
    ? ((study.finishedAt ?? new Date(now)).getTime() - study.startedAt.getTime()) / 1000
    : 0;
  const { owner, dataset, ...rest } = study;
  return {
    study: { ...rest, owner: owner.name ?? owner.email, dataset: dataset?.name ?? null },
    counts,
    done,
    remaining,
    avgTrialSeconds,
    etaSeconds,
    budget: {
      trials: study.maxTrials,
      gpuSeconds: study.gpuSeconds,
      maxGpuSeconds: study.maxGpuSeconds,
      wallSeconds,
      maxWallSeconds: study.maxWallSeconds,
    },
    selection: selectionOf(completed),
  };
}
