import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { recordAudit } from "../audit/record";
import { fieldError, isUniqueViolation } from "../field-error";
import type { CreateComparisonInput } from "./schema";

// Saved comparisons (issue 20), shared by everyone in the org. A comparison only ever names the
// org's own studies: ids are checked at creation, and every read joins on the org again, so a study
// deleted later (or an id that never was the org's) reads as missing, never as another org's row.

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "comparison not found" });

/** The org's studies among `ids`, in the order given; the rest are missing. */
async function studiesOf(ctx: OrgContext, ids: readonly string[]) {
  const found = await ctx.orgDb.study.findMany({
    where: { orgId: ctx.org.id, id: { in: [...ids] } },
    select: { id: true, name: true, state: true, archivedAt: true },
  });
  const byId = new Map(found.map((s) => [s.id, s]));
  return {
    studies: ids.flatMap((id) => byId.get(id) ?? []),
    missing: ids.filter((id) => !byId.has(id)),
  };
}

export async function createComparisonHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: CreateComparisonInput;
}) {
  const { missing } = await studiesOf(ctx, input.studyIds);
  if (missing.length > 0) {
    // Another org's study looks exactly like a missing one.
    throw fieldError(
      ["studyIds", input.studyIds.indexOf(missing[0]!)],
      "no such study in this organization",
      "NOT_FOUND",
    );
  }
  try {
    return await ctx.db.$transaction(async (tx) => {
      const created = await tx.comparison.create({
        data: {
          orgId: ctx.org.id,
          name: input.name,
          studyIds: input.studyIds,
          options: input.options,
          createdBy: ctx.user.id,
        },
        select: { id: true, name: true, studyIds: true, options: true, createdAt: true },
      });
      await recordAudit(tx, ctx, {
        action: "comparison.create",
        target: created.id,
        data: { name: created.name, studies: created.studyIds.length },
      });
      return created;
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw fieldError(["name"], "a saved comparison of this organization already has this name", "CONFLICT");
    }
    throw err;
  }
}

export async function listComparisonsHandler({ ctx }: { ctx: OrgContext }) {
  const rows = await ctx.orgDb.comparison.findMany({
    where: { orgId: ctx.org.id },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 200,
    select: { id: true, name: true, studyIds: true, createdAt: true, createdBy: true },
  });
  const present = new Set(
    (
      await ctx.orgDb.study.findMany({
        where: { orgId: ctx.org.id, id: { in: rows.flatMap((r) => r.studyIds) } },
        select: { id: true },
      })
    ).map((s) => s.id),
  );
  const people = await creators(
    ctx,
    rows.map((r) => r.createdBy),
  );
  return {
    items: rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: r.createdAt,
      createdBy: people.get(r.createdBy) ?? null,
      studies: r.studyIds.filter((id) => present.has(id)).length,
      missing: r.studyIds.filter((id) => !present.has(id)).length,
    })),
  };
}

export async function getComparisonHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { comparisonId: string };
}) {
  const row = await ctx.orgDb.comparison.findFirst({
    where: { id: input.comparisonId, orgId: ctx.org.id },
    select: { id: true, name: true, studyIds: true, options: true, createdAt: true, createdBy: true },
  });
  if (!row) throw notFound();
  const { studies, missing } = await studiesOf(ctx, row.studyIds);
  const people = await creators(ctx, [row.createdBy]);
  return {
    id: row.id,
    name: row.name,
    options: row.options as Record<string, string>,
    createdAt: row.createdAt,
    createdBy: people.get(row.createdBy) ?? null,
    studies,
    /** Saved studies that no longer exist (deleted since): shown as missing. */
    missing,
  };
}

export async function deleteComparisonHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { comparisonId: string };
}) {
  return ctx.db.$transaction(async (tx) => {
    const row = await tx.comparison.findFirst({
      where: { id: input.comparisonId, orgId: ctx.org.id },
      select: { id: true, name: true },
    });
    if (!row) throw notFound();
    await tx.comparison.deleteMany({ where: { id: row.id, orgId: ctx.org.id } });
    await recordAudit(tx, ctx, { action: "comparison.delete", target: row.id, data: { name: row.name } });
    return { id: row.id, deleted: true };
  });
}

/** Display names of members who saved comparisons (a former member reads as null). */
async function creators(ctx: OrgContext, userIds: readonly string[]) {
  const members = await ctx.orgDb.membership.findMany({
    where: { orgId: ctx.org.id, userId: { in: [...new Set(userIds)] } },
    select: { userId: true, user: { select: { name: true, email: true } } },
  });
  return new Map(members.map((m) => [m.userId, m.user.name ?? m.user.email]));
}
