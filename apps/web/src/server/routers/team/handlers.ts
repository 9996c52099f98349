import { notifyStudy } from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import { MAX_TAGS } from "../../../lib/team-limits";
import type { OrgContext } from "../../context-types";
import { recordAudit } from "../audit/record";
import { fieldError } from "../field-error";
import type { TagChange } from "./schema";

// Tags, notes and archive (issue 20). Each write locks its row, so two people tagging at once both
// land; each writes one audit event and announces the change (live pages and read caches refresh).

/** The tags after `change`: removals first, then additions in order, without repeats. */
export function applyTagChange(current: readonly string[], change: TagChange): string[] {
  const removed = new Set(change.remove);
  const next = current.filter((t) => !removed.has(t));
  for (const tag of change.add) if (!next.includes(tag)) next.push(tag);
  return next;
}

function checkTagCount(before: readonly string[], after: readonly string[]) {
  if (after.length > MAX_TAGS && after.length > before.length) {
    throw fieldError(["add"], `at most ${MAX_TAGS} tags on one object (it has ${before.length})`);
  }
}

const notFound = (what: "study" | "trial") =>
  new TRPCError({ code: "NOT_FOUND", message: `${what} not found` });
const noteOf = (note: string | null) => (note === null || note.trim() === "" ? null : note);

type TagTarget = { kind: "study"; studyId: string } | { kind: "trial"; studyId: string; number: number };

/** Lock the study's or trial's row, apply the change, check the count, write it with its audit event. */
async function changeTags(ctx: OrgContext, target: TagTarget, change: TagChange) {
  const orgId = ctx.org.id;
  const result = await ctx.db.$transaction(async (tx) => {
    const [row] =
      target.kind === "study"
        ? await tx.$queryRaw<{ id: string; tags: string[] }[]>`
            SELECT "id", "tags" FROM "Study" WHERE "id" = ${target.studyId} AND "orgId" = ${orgId} FOR UPDATE`
        : await tx.$queryRaw<{ id: string; tags: string[] }[]>`
            SELECT "id", "tags" FROM "Trial"
            WHERE "studyId" = ${target.studyId} AND "number" = ${target.number} AND "orgId" = ${orgId}
            FOR UPDATE`;
    if (!row) throw notFound(target.kind);
    const tags = applyTagChange(row.tags, change);
    checkTagCount(row.tags, tags);
    if (target.kind === "study") await tx.study.update({ where: { id: row.id, orgId }, data: { tags } });
    else await tx.trial.update({ where: { id: row.id, orgId }, data: { tags } });
    const { kind, ...ref } = target;
    await recordAudit(tx, ctx, {
      action: `${kind}.tag`,
      target: row.id,
      data: { ...ref, add: change.add, remove: change.remove },
    });
    return { id: row.id, tags };
  });
  await notifyStudy(ctx.db, { orgId, studyId: target.studyId, kind: target.kind });
  return result;
}

export function tagStudyHandler({ ctx, input }: { ctx: OrgContext; input: TagChange & { studyId: string } }) {
  return changeTags(ctx, { kind: "study", studyId: input.studyId }, input);
}

export async function tagTrialHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: TagChange & { studyId: string; number: number };
}) {
  const result = await changeTags(
    ctx,
    { kind: "trial", studyId: input.studyId, number: input.number },
    input,
  );
  return { ...result, number: input.number };
}

export async function noteStudyHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { studyId: string; note: string | null };
}) {
  const note = noteOf(input.note);
  const result = await ctx.db.$transaction(async (tx) => {
    const updated = await tx.study.updateMany({
      where: { id: input.studyId, orgId: ctx.org.id },
      data: { note },
    });
    if (updated.count === 0) throw notFound("study");
    // The audit keeps the length, not the text: notes may be long, and the log is for who and when.
    await recordAudit(tx, ctx, {
      action: "study.note",
      target: input.studyId,
      data: { chars: note?.length ?? 0 },
    });
    return { id: input.studyId, note };
  });
  await notifyStudy(ctx.db, { orgId: ctx.org.id, studyId: input.studyId, kind: "study" });
  return result;
}

export async function noteTrialHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { studyId: string; number: number; note: string | null };
}) {
  const note = noteOf(input.note);
  const result = await ctx.db.$transaction(async (tx) => {
    const trial = await tx.trial.findFirst({
      where: { studyId: input.studyId, number: input.number, orgId: ctx.org.id },
      select: { id: true },
    });
    if (!trial) throw notFound("trial");
    await tx.trial.update({ where: { id: trial.id, orgId: ctx.org.id }, data: { note } });
    await recordAudit(tx, ctx, {
      action: "trial.note",
      target: trial.id,
      data: { studyId: input.studyId, number: input.number, chars: note?.length ?? 0 },
    });
    return { id: trial.id, number: input.number, note };
  });
  await notifyStudy(ctx.db, { orgId: ctx.org.id, studyId: input.studyId, kind: "trial" });
  return result;
}

/**
 * Archive or unarchive. Archiving only files the study away (it leaves the default list): a study
 * that is running keeps running, and Pause or Cancel stay where they were.
 */
export async function archiveStudyHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { studyId: string; archived: boolean };
}) {
  const result = await ctx.db.$transaction(async (tx) => {
    const study = await tx.study.findFirst({
      where: { id: input.studyId, orgId: ctx.org.id },
      select: { archivedAt: true },
    });
    if (!study) throw notFound("study");
    // Archiving twice keeps the first date (when it was filed away), and writes no second event.
    if (Boolean(study.archivedAt) === input.archived)
      return { id: input.studyId, archivedAt: study.archivedAt };
    const archivedAt = input.archived ? new Date() : null;
    await tx.study.update({ where: { id: input.studyId, orgId: ctx.org.id }, data: { archivedAt } });
    await recordAudit(tx, ctx, {
      action: input.archived ? "study.archive" : "study.unarchive",
      target: input.studyId,
    });
    return { id: input.studyId, archivedAt };
  });
  await notifyStudy(ctx.db, { orgId: ctx.org.id, studyId: input.studyId, kind: "study" });
  return result;
}

/** The org's study tags with how many studies carry each (archived ones included), most used first. */
export async function studyTagsHandler({ ctx }: { ctx: OrgContext }) {
  const rows = await ctx.db.$queryRaw<{ tag: string; studies: number }[]>`
    SELECT t."tag", count(*)::int AS "studies"
    FROM "Study" s, unnest(s."tags") AS t("tag")
    WHERE s."orgId" = ${ctx.org.id}
    GROUP BY t."tag" ORDER BY count(*) DESC, t."tag" ASC LIMIT 500`;
  return { tags: rows };
}
