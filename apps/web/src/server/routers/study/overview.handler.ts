import { parseStudyRow, studyObjectives } from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { cachedStudyRead } from "./cache";
import { studyParetoFront } from "./pareto";
import { studySelection } from "./selection";

const TERMINAL_STUDY = new Set(["COMPLETED", "CANCELLED", "FAILED"]);

/**
 * The study page's header: counts, progress, ETA, budget and the selection, all aggregated in the
 * database so it stays cheap with 10,000 trials (the trial rows come page by page from study.trials).
 */
export async function studyOverviewHandler({ ctx, input }: { ctx: OrgContext; input: { studyId: string } }) {
  const { study, byState, selection, pareto } = await cachedStudyRead(
    ctx.org.id,
    input.studyId,
    "overview",
    async () => {
      const study = await ctx.orgDb.study.findFirst({
        where: { id: input.studyId, orgId: ctx.org.id },
        include: { owner: { select: { name: true, email: true } }, dataset: { select: { name: true } } },
      });
      if (!study) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
      const [byState, selection, pareto] = await Promise.all([
        ctx.db.$queryRaw<{ state: string; n: number; avgSeconds: number | null }[]>`
        SELECT "state"::text AS "state", count(*)::int AS "n",
          avg(extract(epoch FROM ("finishedAt" - "startedAt")))::float8 AS "avgSeconds"
        FROM "Trial" WHERE "orgId" = ${ctx.org.id} AND "studyId" = ${study.id}
        GROUP BY "state"`,
        studySelection(ctx, study.id),
        studyParetoFront(ctx, study),
      ]);
      return { study, byState, selection, pareto };
    },
  );
  const counts: Record<string, number> = { WAITING: 0, RUNNING: 0, COMPLETE: 0, PRUNED: 0, FAIL: 0 };
  let finishedSeconds = 0;
  let finished = 0;
  for (const row of byState) {
    counts[row.state] = row.n;
    // Mean trial time from trials that ran to an end (failures often stop early).
    if ((row.state === "COMPLETE" || row.state === "PRUNED") && row.avgSeconds !== null) {
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
  const wallSeconds = study.startedAt
    ? ((study.finishedAt ?? new Date()).getTime() - study.startedAt.getTime()) / 1000
    : 0;
  const { owner, dataset, ...rest } = parseStudyRow(study);
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
    selection,
    objectives: studyObjectives(study).names,
    pareto,
  };
}
