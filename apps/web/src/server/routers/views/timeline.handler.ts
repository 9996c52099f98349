import type { OrgContext } from "../../context-types";
import { cachedStudyRead } from "../study/cache";
import { assertStudy } from "../study/trials.handler";

/** The timeline draws at most this many trials (the most recently started): bars thinner than a pixel help nobody. */
export const MAX_TIMELINE_TRIALS = 2000;

interface TimelineRow {
  number: number;
  state: string;
  runner: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** Each started trial's runner, state and start/finish, for the per-runner timeline (cached with the study's reads). */
export async function studyTimelineHandler({ ctx, input }: { ctx: OrgContext; input: { studyId: string } }) {
  const study = await assertStudy(ctx, input.studyId);
  return cachedStudyRead(ctx.org.id, study.id, "timeline", async () => {
    const [rows, total] = await Promise.all([
      ctx.db.$queryRaw<TimelineRow[]>`
        SELECT t."number", t."state"::text AS "state", ru."name" AS "runner", t."startedAt", t."finishedAt"
        FROM "Trial" t LEFT JOIN "Runner" ru ON ru."id" = t."runnerId"
        WHERE t."orgId" = ${ctx.org.id} AND t."studyId" = ${study.id} AND t."startedAt" IS NOT NULL
        ORDER BY t."startedAt" DESC, t."number" DESC
        LIMIT ${MAX_TIMELINE_TRIALS}`,
      ctx.db.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS "n" FROM "Trial"
        WHERE "orgId" = ${ctx.org.id} AND "studyId" = ${study.id} AND "startedAt" IS NOT NULL`,
    ]);
    return { trials: rows.reverse(), total: total[0]?.n ?? 0 };
  });
}
