import { Prisma } from "@hyperensemble/db";
import { TRPCError } from "@trpc/server";
import { isSetFilter, OBJECTIVE_KEY, sortedParam, type TrialFilter } from "../../../lib/trial-filters";
import type { OrgContext } from "../../context-types";
import { cachedStudyRead } from "./cache";
import { axisSpecs } from "./plots.handler";
import type { StudyTrialsInput, TrialRefInput } from "./view.schema";

// Whitelisted sort columns (never interpolate user text into SQL; a parameter's name is bound).
const SORT_SQL: Record<Exclude<StudyTrialsInput["sort"], `param:${string}`>, string> = {
  number: 't."number"',
  state: 't."state"',
  L1: 'r."L1"',
  L2: 'r."L2"',
  L3: 'r."L3"',
  phi2: 'r."phi2"',
  duration: 'extract(epoch FROM (t."finishedAt" - t."startedAt"))',
  bias: 'r."closureBias"',
  variance: 'r."closureVariance"',
  closureRatio: 'r."closureBias" / NULLIF(r."closureVariance", 0)',
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
  closureBias: number | null;
  closureVariance: number | null;
}

/** The study (this org's only; NOT_FOUND otherwise), cached like the aggregates read with it. */
export function assertStudy(ctx: OrgContext, studyId: string) {
  return cachedStudyRead(ctx.org.id, studyId, "study", async () => {
    const study = await ctx.orgDb.study.findFirst({
      where: { id: studyId, orgId: ctx.org.id },
      select: { id: true, name: true, searchSpace: true, state: true, maxTrials: true },
    });
    if (!study) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
    return study;
  });
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

/**
 * The range filters as SQL (names and values bound as parameters, never spliced). Semantics are
 * matchesFilters' in lib/trial-filters.ts: a trial lacking the parameter fails its filter; a set compares
 * JSON values (so 32 and "32" differ and 0.01 equals 1e-2); a range needs a number, bounds inclusive.
 */
function rangeFilters(orgId: string, filters: readonly TrialFilter[] | undefined): Prisma.Sql {
  if (!filters || filters.length === 0) return Prisma.empty;
  const parts = filters.map((f) => {
    if (f.name === OBJECTIVE_KEY) {
      if (isSetFilter(f)) return Prisma.sql`FALSE`;
      return Prisma.sql`EXISTS (SELECT 1 FROM "TrialResult" rf WHERE rf."trialId" = t."id" AND rf."orgId" = ${orgId}
        AND rf."value" IS NOT NULL
        ${f.min !== undefined ? Prisma.sql`AND rf."value" >= ${f.min}` : Prisma.empty}
        ${f.max !== undefined ? Prisma.sql`AND rf."value" <= ${f.max}` : Prisma.empty})`;
    }
    if (isSetFilter(f))
      return Prisma.sql`t."params"->${f.name} IN (${Prisma.join(f.values.map((v) => Prisma.sql`${JSON.stringify(v)}::jsonb`))})`;
    return Prisma.sql`(jsonb_typeof(t."params"->${f.name}) = 'number'
      ${f.min !== undefined ? Prisma.sql`AND (t."params"->>${f.name})::float8 >= ${f.min}` : Prisma.empty}
      ${f.max !== undefined ? Prisma.sql`AND (t."params"->>${f.name})::float8 <= ${f.max}` : Prisma.empty})`;
  });
  return Prisma.sql`AND ${Prisma.join(parts, " AND ")}`;
}

/** One sorted, filtered page of trials with their scores; the count is of the filtered set. */
export async function studyTrialsHandler({ ctx, input }: { ctx: OrgContext; input: StudyTrialsInput }) {
  const study = await assertStudy(ctx, input.studyId);
  const { org: _org, ...key } = input as StudyTrialsInput & { org?: string };
  const page = await cachedStudyRead(ctx.org.id, study.id, `trials:${JSON.stringify(key)}`, () =>
    trialsPage(ctx, study.id, input),
  );
  return {
    ...page,
    page: input.page,
    pageSize: input.pageSize,
    paramNames: Object.keys((study.searchSpace ?? {}) as object),
    /** Each parameter's kind, range and choices: the table's per-parameter columns and filters. */
    paramSpecs: axisSpecs(study.searchSpace),
  };
}

async function trialsPage(ctx: OrgContext, studyId: string, input: StudyTrialsInput) {
  const where = Prisma.sql`t."orgId" = ${ctx.org.id} AND t."studyId" = ${studyId}
    ${input.state ? Prisma.sql`AND t."state" = ${input.state}::"TrialState"` : Prisma.empty}
    ${paramFilter(input.param)}
    ${rangeFilters(ctx.org.id, input.filters)}`;
  const dir = Prisma.raw(input.dir === "desc" ? "DESC" : "ASC");
  const param = sortedParam(input.sort);
  // Trial number is never null: a plain ORDER BY lets Postgres walk the (studyId, number) index.
  // A parameter: its numbers numerically, then its other values as text, trials without it last.
  const order =
    param !== null
      ? Prisma.sql`CASE WHEN jsonb_typeof(t."params"->${param}) = 'number' THEN (t."params"->>${param})::float8 END ${dir} NULLS LAST,
          t."params"->>${param} ${dir} NULLS LAST, t."number" ASC`
      : input.sort === "number"
        ? Prisma.sql`t."number" ${dir}`
        : Prisma.sql`${Prisma.raw(SORT_SQL[input.sort as keyof typeof SORT_SQL])} ${dir} NULLS LAST, t."number" ASC`;
  const byResult =
    param === null && input.sort !== "number" && input.sort !== "state" && input.sort !== "duration";
  // Phase 1 picks the page's ids with only the join the sort needs; phase 2 reads those rows in full.
  const [ids, total] = await Promise.all([
    ctx.db.$queryRaw<{ id: string }[]>`
      SELECT t."id" FROM "Trial" t
      ${byResult ? Prisma.sql`LEFT JOIN "TrialResult" r ON r."trialId" = t."id" AND r."orgId" = ${ctx.org.id}` : Prisma.empty}
      WHERE ${where}
      ORDER BY ${order}
      LIMIT ${input.pageSize} OFFSET ${input.page * input.pageSize}`,
    ctx.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS "n" FROM "Trial" t WHERE ${where}`,
  ]);
  const list = ids.map((r) => r.id);
  const rows =
    list.length === 0
      ? []
      : await ctx.db.$queryRaw<TrialRow[]>`
      SELECT t."id", t."number", t."state"::text AS "state", t."params", t."attempt", t."error",
        t."startedAt", t."finishedAt", ru."name" AS "runner",
        r."value", r."L1", r."L2", r."L3", r."phi2", r."foldChi2", r."epochs", r."durationSeconds",
        r."closureBias", r."closureVariance"
      FROM "Trial" t
      LEFT JOIN "TrialResult" r ON r."trialId" = t."id" AND r."orgId" = ${ctx.org.id}
      LEFT JOIN "Runner" ru ON ru."id" = t."runnerId"
      WHERE t."orgId" = ${ctx.org.id} AND t."id" IN (${Prisma.join(list)})`;
  const position = new Map(list.map((id, i) => [id, i]));
  rows.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
  return { items: rows, total: total[0]?.n ?? 0 };
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
