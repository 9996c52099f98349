import { Prisma } from "@hyperensemble/db";
import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import type { StudyTrialsInput, TrialRefInput } from "./view.schema";

// Whitelisted sort columns (never interpolate user text into SQL).
const SORT_SQL: Record<StudyTrialsInput["sort"], string> = {
  number: 't."number"',
  state: 't."state"',
  L1: 'r."L1"',
  L2: 'r."L2"',
  L3: 'r."L3"',
  phi2: 'r."phi2"',
  duration: 'extract(epoch FROM (t."finishedAt" - t."startedAt"))',
};

interface TrialRow {
  id: string;
  number: number;
  state: string;
  params: Record<string, unknown>;
  attempt: number;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  runner: string | null;
  value: number | null;
  L1: number | null;
  L2: number | null;
  L3: number | null;
  phi2: number | null;
  foldChi2: number[] | null;
  epochs: number | null;
  durationSeconds: number | null;
}

export async function assertStudy(ctx: OrgContext, studyId: string) {
  const study = await ctx.orgDb.study.findFirst({
    where: { id: studyId, orgId: ctx.org.id },
    select: { id: true, name: true, searchSpace: true, state: true, maxTrials: true },
  });
  if (!study) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  return study;
}

function paramFilter(param: string | undefined): Prisma.Sql {
  if (!param) return Prisma.empty;
  const at = param.indexOf("=");
  const name = param.slice(0, at);
  const raw = param.slice(at + 1).trim();
  const asNumber = Number(raw);
  // A number compares numerically (so 0.01 matches 1e-2); anything else as the text stored.
  return Number.isFinite(asNumber) && raw !== ""
    ? Prisma.sql`AND jsonb_typeof(t."params"->${name}) = 'number' AND (t."params"->>${name})::float8 = ${asNumber}`
    : Prisma.sql`AND t."params"->>${name} = ${raw}`;
}

/** One sorted, filtered page of trials with their scores; the count is of the filtered set. */
export async function studyTrialsHandler({ ctx, input }: { ctx: OrgContext; input: StudyTrialsInput }) {
  const study = await assertStudy(ctx, input.studyId);
  const where = Prisma.sql`t."orgId" = ${ctx.org.id} AND t."studyId" = ${study.id}
    ${input.state ? Prisma.sql`AND t."state" = ${input.state}::"TrialState"` : Prisma.empty}
    ${paramFilter(input.param)}`;
  const order = Prisma.raw(
    `${SORT_SQL[input.sort]} ${input.dir === "desc" ? "DESC" : "ASC"} NULLS LAST, t."number" ASC`,
  );
  const [rows, total] = await Promise.all([
    ctx.db.$queryRaw<TrialRow[]>`
      SELECT t."id", t."number", t."state"::text AS "state", t."params", t."attempt", t."error",
        t."startedAt", t."finishedAt", ru."name" AS "runner",
        r."value", r."L1", r."L2", r."L3", r."phi2", r."foldChi2", r."epochs", r."durationSeconds"
      FROM "Trial" t
      LEFT JOIN "TrialResult" r ON r."trialId" = t."id" AND r."orgId" = ${ctx.org.id}
      LEFT JOIN "Runner" ru ON ru."id" = t."runnerId"
      WHERE ${where}
      ORDER BY ${order}
      LIMIT ${input.pageSize} OFFSET ${input.page * input.pageSize}`,
    ctx.db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS "n" FROM "Trial" t WHERE ${where}`,
  ]);
  return {
    items: rows,
    total: total[0]?.n ?? 0,
    page: input.page,
    pageSize: input.pageSize,
    paramNames: Object.keys((study.searchSpace ?? {}) as object),
  };
}

/** Everything about one trial: scores, per-replica chi2, predictions, learning curve, attempts. */
export async function studyTrialHandler({ ctx, input }: { ctx: OrgContext; input: TrialRefInput }) {
  const study = await assertStudy(ctx, input.studyId);
  const trial = await ctx.orgDb.trial.findFirst({
    where: { orgId: ctx.org.id, studyId: study.id, number: input.number },
    include: {
      result: true,
      runner: { select: { name: true, backend: true } },
      intermediate: { select: { step: true, value: true }, orderBy: { step: "asc" } },
    },
  });
  if (!trial) throw new TRPCError({ code: "NOT_FOUND", message: "trial not found" });
  return trial;
}
