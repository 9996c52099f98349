import { Prisma } from "@hyperensemble/db";
import { selectConfiguration } from "@hyperensemble/engine";
import { CANCELLED_TRIAL_REASONS } from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import type { OrgContext } from "../../context-types";
import { cachedStudyRead } from "./cache";
import type { ZListStudies } from "./create.schema";
import { studyOutcome } from "./overview.handler";
import { studySelection } from "./selection";

type ListStudiesInput = z.output<typeof ZListStudies>;

const STUDY_SORT_SQL: Record<ListStudiesInput["sort"], string> = {
  createdAt: 's."createdAt"',
  name: 'lower(s."name")',
  state: 's."state"',
  bestL1: 'agg."bestL1"',
  gpuSeconds: 's."gpuSeconds"',
  trials: 'agg."done"',
};

interface StudyRow {
  id: string;
  name: string;
  state: string;
  sampler: string;
  maxTrials: number;
  gpuSeconds: number;
  createdAt: Date;
  owner: string;
  done: number;
  completed: number;
  failed: number;
  bestL1: number | null;
  waiting: number;
  running: number;
  pruned: number;
  failure: string | null;
  tags: string[];
  archivedAt: Date | null;
}

function archivedFilter(archived: "hide" | "only" | "all"): Prisma.Sql {
  if (archived === "hide") return Prisma.sql`AND s."archivedAt" IS NULL`;
  if (archived === "only") return Prisma.sql`AND s."archivedAt" IS NOT NULL`;
  return Prisma.empty;
}

/**
 * Studies of the org, sorted, filtered and paged in the database: trials done and best L1 are one
 * aggregate per study; the selected configuration's phi2 is computed for the page's studies only.
 */
export async function listStudiesHandler({ ctx, input }: { ctx: OrgContext; input: ListStudiesInput }) {
  const orgId = ctx.org.id;
  let keyset = Prisma.empty;
  if (input.cursor) {
    const after = await ctx.orgDb.study.findFirst({
      where: { id: input.cursor, orgId },
      select: { id: true, createdAt: true },
    });
    if (after) keyset = Prisma.sql`AND (s."createdAt", s."id") < (${after.createdAt}, ${after.id})`;
  }
  const where = Prisma.sql`s."orgId" = ${orgId}
    ${input.state ? Prisma.sql`AND s."state" = ${input.state}::"StudyState"` : Prisma.empty}
    ${input.name !== undefined ? Prisma.sql`AND s."name" = ${input.name}` : Prisma.empty}
    ${input.mine ? Prisma.sql`AND s."ownerId" = ${ctx.user.id}` : Prisma.empty}
    ${input.tag ? Prisma.sql`AND ${input.tag} = ANY(s."tags")` : Prisma.empty}
    ${archivedFilter(input.archived ?? (input.name !== undefined ? "all" : "hide"))}
    ${input.q ? Prisma.sql`AND s."name" ILIKE ${`%${input.q.replace(/[\\%_]/g, "\\$&")}%`}` : Prisma.empty}`;
  const dir = input.dir === "asc" ? "ASC" : "DESC";
  const cancelled = Prisma.sql`ARRAY[${Prisma.join([...CANCELLED_TRIAL_REASONS])}]`;
  const order = Prisma.raw(
    `${STUDY_SORT_SQL[input.sort]} ${dir} NULLS LAST, s."createdAt" DESC, s."id" DESC`,
  );
  const offset = input.cursor ? 0 : (input.page ?? 0) * input.take;
  const [rows, total] = await Promise.all([
    ctx.db.$queryRaw<StudyRow[]>`
      SELECT s."id", s."name", s."state"::text AS "state", s."sampler", s."maxTrials", s."gpuSeconds",
        s."createdAt", s."tags", s."archivedAt", coalesce(u."name", u."email") AS "owner", agg."done", agg."completed", agg."failed",
        agg."bestL1", ff."failure", agg."waiting", agg."running", agg."pruned"
      FROM "Study" s
      JOIN "User" u ON u."id" = s."ownerId"
      LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE t."state" IN ('COMPLETE', 'PRUNED', 'FAIL'))::int AS "done",
          count(*) FILTER (WHERE t."state" = 'WAITING')::int AS "waiting",
          count(*) FILTER (WHERE t."state" = 'RUNNING')::int AS "running",
          count(*) FILTER (WHERE t."state" = 'PRUNED')::int AS "pruned",
          count(*) FILTER (WHERE t."state" = 'COMPLETE')::int AS "completed",
          count(*) FILTER (WHERE t."state" = 'FAIL' AND coalesce(t."error", '') <> ALL (${cancelled}))::int
            AS "failed",
          min(r."L1") FILTER (WHERE t."state" = 'COMPLETE') AS "bestL1"
        FROM "Trial" t LEFT JOIN "TrialResult" r ON r."trialId" = t."id" AND r."orgId" = ${orgId}
        WHERE t."orgId" = ${orgId} AND t."studyId" = s."id"
      ) agg ON true
      LEFT JOIN LATERAL (
        SELECT t."error" AS "failure" FROM "Trial" t
        WHERE t."orgId" = ${orgId} AND t."studyId" = s."id" AND t."state" = 'FAIL'
          AND coalesce(t."error", '') <> ALL (${cancelled})
        ORDER BY t."finishedAt" ASC NULLS LAST, t."number" ASC LIMIT 1
      ) ff ON agg."failed" > 0
      WHERE ${where} ${keyset}
      ORDER BY ${order}
      LIMIT ${input.take + 1} OFFSET ${offset}`,
    ctx.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS "n" FROM "Study" s WHERE ${where}`,
  ]);
  const page = rows.slice(0, input.take);
  const selections = await Promise.all(
    page.map((s) => cachedStudyRead(orgId, s.id, "selection", () => studySelection(ctx, s.id))),
  );
  return {
    items: page.map((s, i) => ({
      id: s.id,
      name: s.name,
      state: s.state,
      sampler: s.sampler,
      maxTrials: s.maxTrials,
      trialsDone: s.done ?? 0,
      /** Trials per state (Optuna's names; FAIL leaves out the trials Cancel stopped). */
      trialCounts: {
        WAITING: s.waiting ?? 0,
        RUNNING: s.running ?? 0,
        COMPLETE: s.completed ?? 0,
        PRUNED: s.pruned ?? 0,
        FAIL: s.failed ?? 0,
      },
      /** Failed trials (not the ones Cancel stopped), and the earliest one's reason. */
      failedTrials: s.failed ?? 0,
      firstFailure: s.failure,
      outcome: studyOutcome(s.state, { COMPLETE: s.completed ?? 0, FAIL: s.failed ?? 0 }),
      bestValue: s.bestL1,
      bestL1: s.bestL1,
      selectedPhi2: selections[i]?.selected.phi2 ?? null,
      gpuSeconds: s.gpuSeconds,
      owner: s.owner,
      createdAt: s.createdAt,
      tags: s.tags,
      archivedAt: s.archivedAt,
    })),
    total: total[0]?.n ?? 0,
    nextCursor: rows.length > input.take ? (page.at(-1)?.id ?? null) : null,
  };
}

export async function getStudyHandler({ ctx, input }: { ctx: OrgContext; input: { studyId: string } }) {
  const study = await ctx.orgDb.study.findFirst({
    where: { id: input.studyId, orgId: ctx.org.id },
    include: {
      trials: {
        orderBy: { number: "asc" },
        include: { result: { omit: { predictions: true } }, runner: { select: { name: true } } },
      },
    },
  });
  if (!study) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  const intermediate = await ctx.orgDb.intermediateValue.findMany({
    where: { orgId: ctx.org.id, trial: { studyId: study.id } },
    orderBy: { step: "asc" },
    select: { trialId: true, step: true, value: true },
  });
  const completed = study.trials.flatMap((t) =>
    t.state === "COMPLETE" && t.result ? [{ id: t.id, L1: t.result.L1, phi2: t.result.phi2 }] : [],
  );
  const selection = completed.length > 0 ? selectConfiguration(completed) : null;
  return { study, intermediate, selection };
}
