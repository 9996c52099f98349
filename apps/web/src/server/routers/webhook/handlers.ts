import {
  checkWebhookUrl,
  generateWebhookSecret,
  latestEventId,
  MAX_WEBHOOKS_PER_ORG,
  WebhookUrlError,
} from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { env } from "../../../env";
import type { OrgContext } from "../../context-types";
import { recordAudit } from "../audit/record";
import type { CreateWebhookInput, ZListDeliveries, ZWebhookRef } from "./create.schema";

const PUBLIC_FIELDS = {
  id: true,
  url: true,
  events: true,
  description: true,
  createdAt: true,
} as const;

export async function listWebhooksHandler({ ctx }: { ctx: OrgContext }) {
  const hooks = await ctx.orgDb.webhook.findMany({
    where: { orgId: ctx.org.id },
    select: PUBLIC_FIELDS,
    orderBy: { createdAt: "asc" },
  });
  return { items: hooks };
}

/** A new hook starts at the log's head (no backfill); the secret is in this response only. */
export async function createWebhookHandler({ ctx, input }: { ctx: OrgContext; input: CreateWebhookInput }) {
  try {
    await checkWebhookUrl(input.url, { allowPrivate: env.HENS_WEBHOOK_ALLOW_PRIVATE });
  } catch (err) {
    if (err instanceof WebhookUrlError) throw new TRPCError({ code: "BAD_REQUEST", message: err.message });
    throw err;
  }
  const count = await ctx.orgDb.webhook.count({ where: { orgId: ctx.org.id } });
  if (count >= MAX_WEBHOOKS_PER_ORG)
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `url: at most ${MAX_WEBHOOKS_PER_ORG} webhooks per organization`,
    });
  const secret = generateWebhookSecret();
  const cursor = await latestEventId(ctx.orgDb, { orgId: ctx.org.id });
  const hook = await ctx.orgDb.webhook.create({
    data: {
      orgId: ctx.org.id,
      url: input.url,
      events: input.events,
      description: input.description,
      createdBy: ctx.user.id,
      secret,
      cursor,
    },
    select: PUBLIC_FIELDS,
  });
  await recordAudit(ctx.orgDb, ctx, { action: "webhook.create", target: hook.id, data: { url: hook.url } });
  return { ...hook, secret };
}

export async function deleteWebhookHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: z.output<typeof ZWebhookRef>;
}) {
  const { count } = await ctx.orgDb.webhook.deleteMany({ where: { id: input.webhookId, orgId: ctx.org.id } });
  if (count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "webhook not found" });
  await recordAudit(ctx.orgDb, ctx, { action: "webhook.delete", target: input.webhookId });
  return { id: input.webhookId, deleted: true };
}

export async function listDeliveriesHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: z.output<typeof ZListDeliveries>;
}) {
  const hook = await ctx.orgDb.webhook.findFirst({
    where: { id: input.webhookId, orgId: ctx.org.id },
    select: { id: true },
  });
  if (!hook) throw new TRPCError({ code: "NOT_FOUND", message: "webhook not found" });
  const rows = await ctx.orgDb.webhookDelivery.findMany({
    where: { orgId: ctx.org.id, webhookId: hook.id },
    orderBy: [{ createdAt: "desc" }, { eventId: "desc" }],
    take: input.take,
  });
  return {
    items: rows.map((d) => ({
      id: d.id,
      eventId: d.eventId.toString(),
      eventType: d.eventType,
      state: d.state,
      attempts: d.attempts,
      lastStatus: d.lastStatus,
      lastError: d.lastError,
      nextAttemptAt: d.nextAttemptAt,
      createdAt: d.createdAt,
      deliveredAt: d.deliveredAt,
    })),
  };
}
