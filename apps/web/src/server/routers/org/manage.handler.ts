import type { Db } from "@hyperensemble/db";
import { cancelStudy } from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import { mayCreateOrg, type SignupMode } from "../../auth/signup";
import type { OrgContext } from "../../context-types";
import { recordAudit } from "../audit/record";
import { fieldError, isUniqueViolation } from "../field-error";
// The same per-org lock member changes take, so ownership cannot be lost in a race.
import { lockMembers } from "../member/update.handler";
import type { CreateOrgInput } from "./schema";

/** A new organisation, its creator its OWNER (HENS_SIGNUP decides who may). */
export async function createOrgHandler({
  ctx,
  input,
  signup,
  platformAdmins,
}: {
  ctx: { db: Db; user: { id: string } };
  input: CreateOrgInput;
  signup: SignupMode;
  platformAdmins: string | undefined;
}) {
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.user.id }, select: { email: true } });
  const decision = mayCreateOrg(signup, user.email, platformAdmins);
  if (!decision.allowed) throw new TRPCError({ code: "FORBIDDEN", message: decision.reason });
  try {
    return await ctx.db.$transaction(async (tx) => {
      const org = await tx.organization.create({
        data: { name: input.name, slug: input.slug },
        select: { id: true, slug: true, name: true },
      });
      await tx.membership.create({ data: { orgId: org.id, userId: ctx.user.id, role: "OWNER" } });
      await recordAudit(tx, { org, user: ctx.user }, { action: "org.create", target: org.id, data: input });
      return { slug: org.slug, name: org.name, role: "OWNER" as const };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError(["slug"], "this slug is taken: choose another", "CONFLICT");
    throw err;
  }
}

/**
 * A new name and, when given, a new slug: URLs under the old slug answer 404 from then on (API tokens
 * belong to the organisation, not its slug, and keep working under the new one).
 */
export async function renameOrgHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { name: string; slug?: string | undefined };
}) {
  const slug = input.slug ?? ctx.org.slug;
  try {
    return await ctx.db.$transaction(async (tx) => {
      await tx.organization.update({ where: { id: ctx.org.id }, data: { name: input.name, slug } });
      await recordAudit(tx, ctx, {
        action: "org.rename",
        target: ctx.org.id,
        data: { from: { name: ctx.org.name, slug: ctx.org.slug }, to: { name: input.name, slug } },
      });
      return { slug, name: input.name };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError(["slug"], "this slug is taken: choose another", "CONFLICT");
    throw err;
  }
}

/** The caller (an OWNER) hands OWNER to another member and becomes ADMIN. */
export async function transferOwnershipHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { userId: string };
}) {
  if (input.userId === ctx.user.id) throw fieldError(["userId"], "you are already an OWNER");
  return ctx.orgDb.$transaction(async (tx) => {
    await lockMembers(tx, ctx.org.id);
    const target = await tx.membership.findFirst({
      where: { orgId: ctx.org.id, userId: input.userId },
      select: { id: true, role: true },
    });
    if (!target) throw new TRPCError({ code: "NOT_FOUND", message: "member not found" });
    await tx.membership.updateMany({ where: { id: target.id, orgId: ctx.org.id }, data: { role: "OWNER" } });
    await tx.membership.updateMany({
      where: { orgId: ctx.org.id, userId: ctx.user.id },
      data: { role: "ADMIN" },
    });
    await recordAudit(tx, ctx, { action: "org.transfer", target: input.userId, data: { from: target.role } });
    return { owner: input.userId, yourRole: "ADMIN" as const };
  });
}

/** Leave the organisation; its last OWNER must hand ownership over (or delete it) first. */
export async function leaveOrgHandler({ ctx }: { ctx: OrgContext }) {
  return ctx.orgDb.$transaction(async (tx) => {
    await lockMembers(tx, ctx.org.id);
    if (ctx.role === "OWNER") {
      const owners = await tx.membership.count({ where: { orgId: ctx.org.id, role: "OWNER" } });
      if (owners <= 1) {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "you are the last OWNER: transfer ownership or delete the organisation",
        });
      }
    }
    await tx.membership.deleteMany({ where: { orgId: ctx.org.id, userId: ctx.user.id } });
    await tx.apiToken.updateMany({
      where: { orgId: ctx.org.id, userId: ctx.user.id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await recordAudit(tx, ctx, { action: "member.leave", target: ctx.user.id, data: { role: ctx.role } });
    return { left: true };
  });
}

/**
 * Delete the organisation (OWNER, the slug typed again): running studies are cancelled (runners
 * abort their trials), then studies, trials, results, datasets, tokens, invitations, memberships,
 * limits and its runners are removed. The organisation's row stays, marked deleted with its slug
 * released, so its audit log (with this event) survives for the operators.
 */
export async function deleteOrgHandler({
  ctx,
  input,
  now = new Date(),
}: {
  ctx: OrgContext;
  input: { confirm: string };
  now?: Date;
}) {
  if (input.confirm !== ctx.org.slug) {
    throw fieldError(["confirm"], `type the organisation's slug (${ctx.org.slug}) to confirm`);
  }
  const active = await ctx.orgDb.study.findMany({
    where: { orgId: ctx.org.id, state: { in: ["DRAFT", "QUEUED", "RUNNING", "PAUSED"] } },
    select: { id: true },
  });
  for (const study of active) {
    await cancelStudy(ctx.orgDb, { orgId: ctx.org.id, studyId: study.id }, now).catch(() => {
      // Finished between the read and the cancel: nothing left to stop.
    });
  }
  const orgId = ctx.org.id;
  return ctx.orgDb.$transaction(async (tx) => {
    await lockMembers(tx, orgId);
    const studies = await tx.study.deleteMany({ where: { orgId } });
    const datasets = await tx.dataset.deleteMany({ where: { orgId } });
    await tx.comparison.deleteMany({ where: { orgId } });
    await tx.apiToken.deleteMany({ where: { orgId } });
    await tx.invitation.deleteMany({ where: { orgId } });
    await tx.orgLimits.deleteMany({ where: { orgId } });
    const members = await tx.membership.deleteMany({ where: { orgId } });
    await tx.runner.deleteMany({ where: { orgId } });
    await tx.organization.update({
      where: { id: orgId },
      data: { deletedAt: now, slug: `deleted~${orgId}` },
    });
    await recordAudit(tx, ctx, {
      action: "org.delete",
      target: orgId,
      data: {
        slug: ctx.org.slug,
        name: ctx.org.name,
        studiesCancelled: active.length,
        studies: studies.count,
        datasets: datasets.count,
        members: members.count,
      },
    });
    return { deleted: true, studies: studies.count, datasets: datasets.count };
  });
}
