import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { cachedStudyRead } from "./cache";
import { bestSoFar, studySelection } from "./selection";
import type { CompareStudiesInput } from "./view.schema";

/** Distributions are drawn from at most this many completed trials per study (an even sample). */
const MAX_VALUES = 2000;

async function studySide(ctx: OrgContext, studyId: string) {
  const [values, history, selection, last] = await Promise.all([
    ctx.db.$queryRaw<{ L1: number; phi2: number; seconds: number; n: number }[]>`
      SELECT "L1", "phi2", "seconds", "n" FROM (
        SELECT r."L1", r."phi2", r."durationSeconds" AS "seconds",
          row_number() OVER (ORDER BY t."number") AS "rn", count(*) OVER () AS "n"
        FROM "Trial" t JOIN "TrialResult" r ON r."trialId" = t."id"
        WHERE t."orgId" = ${ctx.org.id} AND r."orgId" = ${ctx.org.id} AND t."studyId" = ${studyId}
          AND t."state" = 'COMPLETE'
      ) x
      WHERE "n" <= ${MAX_VALUES} OR "rn" % ceil("n"::float8 / ${MAX_VALUES})::int = 0`,
    bestSoFar(ctx, studyId),
    studySelection(ctx, studyId),
    ctx.db.$queryRaw<{ n: number | null }[]>`
      SELECT max("number")::int AS "n" FROM "Trial"
      WHERE "orgId" = ${ctx.org.id} AND "studyId" = ${studyId} AND "state" IN ('COMPLETE', 'PRUNED', 'FAIL')`,
  ]);
  const selected = selection
    ? await ctx.orgDb.trial.findFirst({
        where: { orgId: ctx.org.id, id: selection.selected.id },
        select: { params: true },
      })
    : null;
  return {
    completed: Number(values[0]?.n ?? 0),
    history,
    /** The last finished trial: the best-so-far line runs on to it, not only to the last improvement. */
    lastTrial: last[0]?.n ?? null,
    L1: values.map((v) => v.L1),
    phi2: values.map((v) => v.phi2),
    seconds: values.map((v) => v.seconds),
    selected: selection && selected ? { ...selection.selected, params: selected.params } : null,
    argmin: selection?.argmin ?? null,
  };
}

/** 2–6 studies of this org side by side: best-so-far, loss distributions, selected configurations. */
export async function compareStudiesHandler({ ctx, input }: { ctx: OrgContext; input: CompareStudiesInput }) {
  const ids = [...new Set(input.studyIds)];
  const studies = await ctx.orgDb.study.findMany({
    where: { orgId: ctx.org.id, id: { in: ids } },
    select: {
      id: true,
      name: true,
      state: true,
      sampler: true,
      scheduler: true,
      maxTrials: true,
      ensemble: true,
    },
  });
  // One missing id is NOT_FOUND for the whole request: another org's study looks exactly absent.
  if (studies.length !== ids.length) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  const order = new Map(ids.map((id, i) => [id, i]));
  studies.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return {
    studies: await Promise.all(
      studies.map(async (s) => ({
        ...s,
        ...(await cachedStudyRead(ctx.org.id, s.id, "compare", () => studySide(ctx, s.id))),
      })),
    ),
  };
}
