// Platform administration (HENS_PLATFORM_ADMINS): every organisation and user, per-org quotas, usage
// across orgs and the mail outbox. Reached only through platformAdminProcedure (trpc.ts).
import type { Db, Prisma } from "@hyperensemble/db";
import { LIMIT_NAMES, type LimitName, orgLimits, setOrgLimits } from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import { isPlatformAdmin } from "../../auth/platform-admin";
import { endAllSessions } from "../../auth/session-store";
import { recordUserAudit } from "../account/user-audit";
import { recordAudit } from "../audit/record";
import { orgUsage } from "../org/usage.handler";

type AdminCtx = { db: Db; user: { id: string } };

export async function listOrgsHandler({
  ctx,
  input,
}: {
  ctx: AdminCtx;
  input: { search: string; take: number };
}) {
  const where: Prisma.OrganizationWhereInput = input.search
    ? {
        OR: [
          { slug: { contains: input.search, mode: "insensitive" } },
          { name: { contains: input.search, mode: "insensitive" } },
        ],
      }
    : {};
  const orgs = await ctx.db.organization.findMany({
    where,
    orderBy: { createdAt: "desc" },
    take: input.take,
    select: {
      id: true,
      slug: true,
      name: true,
      createdAt: true,
      deletedAt: true,
      limits: true,
      _count: { select: { memberships: true, studies: true, datasets: true } },
    },
  });
  return {
    items: orgs.map((o) => ({
      id: o.id,
      slug: o.slug,
      name: o.name,
      createdAt: o.createdAt,
      deletedAt: o.deletedAt,
      members: o._count.memberships,
      studies: o._count.studies,
      datasets: o._count.datasets,
      overrides: LIMIT_NAMES.filter((n) => o.limits?.[n] != null).length,
    })),
  };
}

export async function listUsersHandler({
  ctx,
  input,
  platformAdmins,
}: {
  ctx: AdminCtx;
  input: { search: string; take: number };
  platformAdmins: string | undefined;
}) {
  const where: Prisma.UserWhereInput = input.search
    ? {
        OR: [
          { email: { contains: input.search, mode: "insensitive" } },
          { name: { contains: input.search, mode: "insensitive" } },
        ],
      }
    : {};
  const users = await ctx.db.user.findMany({
    where,
    orderBy: { createdAt: "desc" },
    take: input.take,
    select: {
      id: true,
      email: true,
      name: true,
      createdAt: true,
      deactivatedAt: true,
      emailVerified: true,
      memberships: { select: { role: true, org: { select: { slug: true } } } },
    },
  });
  return {
    items: users.map((u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      createdAt: u.createdAt,
      deactivatedAt: u.deactivatedAt,
      emailVerified: u.emailVerified !== null,
      platformAdmin: isPlatformAdmin(u.email, platformAdmins),
      orgs: u.memberships.map((m) => ({ slug: m.org.slug, role: m.role })),
    })),
  };
}

/** Deactivate (every session and token refused from the next request) or reactivate a user. */
export async function setUserActiveHandler({
  ctx,
  input,
  now = new Date(),
}: {
  ctx: AdminCtx;
  input: { userId: string; active: boolean };
  now?: Date;
}) {
  if (!input.active && input.userId === ctx.user.id) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "you cannot deactivate yourself" });
  }
  return ctx.db.$transaction(async (tx) => {
    const updated = await tx.user.updateMany({
      where: { id: input.userId },
      data: { deactivatedAt: input.active ? null : now },
    });
    if (updated.count !== 1) throw new TRPCError({ code: "NOT_FOUND", message: "user not found" });
    if (!input.active) await endAllSessions(tx, input.userId);
    await recordUserAudit(tx, input.userId, ctx.user.id, {
      action: input.active ? "account.reactivate" : "account.deactivate",
    });
    return { userId: input.userId, active: input.active };
  });
}

async function findOrg(db: Db, slug: string) {
  const org = await db.organization.findUnique({
    where: { slug },
    select: { id: true, slug: true, name: true },
  });
  if (!org) throw new TRPCError({ code: "NOT_FOUND", message: "organization not found" });
  return org;
}

export async function getOrgLimitsHandler({ ctx, input }: { ctx: AdminCtx; input: { orgSlug: string } }) {
  const org = await findOrg(ctx.db, input.orgSlug);
  const row = await ctx.db.orgLimits.findFirst({ where: { orgId: org.id } });
  const { limits, source } = await orgLimits(ctx.db, org.id);
  return {
    org,
    limits: LIMIT_NAMES.map((name) => ({
      name,
      value: Number.isFinite(limits[name]) ? limits[name] : null,
      override: row?.[name] ?? null,
      source: source[name],
    })),
  };
}

/** Set (a number) or clear (null: the environment's default) per-org limits; audited in the org. */
export async function setOrgLimitsHandler({
  ctx,
  input,
}: {
  ctx: AdminCtx;
  input: { orgSlug: string; limits: Partial<Record<LimitName, number | null | undefined>> };
}) {
  const org = await findOrg(ctx.db, input.orgSlug);
  const changes = Object.fromEntries(
    Object.entries(input.limits).filter(([, v]) => v !== undefined),
  ) as Partial<Record<LimitName, number | null>>;
  await setOrgLimits(ctx.db, org.slug, changes);
  await recordAudit(ctx.db, { org, user: ctx.user }, { action: "org.limits", target: org.id, data: changes });
  return getOrgLimitsHandler({ ctx, input: { orgSlug: org.slug } });
}

/** Usage across organisations: the total per month, and each organisation's sum over the period. */
export async function platformUsageHandler({ ctx, input }: { ctx: AdminCtx; input: { months: number } }) {
  const total = await orgUsage(ctx.db, null, input.months);
  const orgs = await ctx.db.organization.findMany({
    where: { deletedAt: null },
    select: { id: true, slug: true, name: true },
    orderBy: { createdAt: "asc" },
    take: 500,
  });
  const perOrg = [];
  for (const org of orgs) {
    const usage = await orgUsage(ctx.db, [org.id], input.months);
    perOrg.push({
      slug: org.slug,
      name: org.name,
      trials: usage.months.reduce((s, m) => s + m.trials, 0),
      runnerSeconds: usage.months.reduce((s, m) => s + m.runnerSeconds, 0),
      storageBytes: usage.storageBytes,
    });
  }
  return { total, orgs: perOrg };
}

export async function outboxHandler({ ctx, input }: { ctx: AdminCtx; input: { take: number } }) {
  const items = await ctx.db.mailOutbox.findMany({ orderBy: { createdAt: "desc" }, take: input.take });
  return { items };
}
