import { EVENT_TYPES } from "@hyperensemble/platform";
import { z } from "zod";

export const ZCreateWebhook = z.object({
  url: z.string({ error: "url is required" }).min(1, { error: "url is required" }).max(2000),
  events: z.array(z.enum(EVENT_TYPES)).max(EVENT_TYPES.length).default([]),
  description: z.string().max(200).default(""),
});
export type CreateWebhookInput = z.output<typeof ZCreateWebhook>;

export const ZWebhookRef = z.object({ webhookId: z.string().min(1).max(100) });

export const ZListDeliveries = z.object({
  webhookId: z.string().min(1).max(100),
  take: z.number().int().min(1).max(200).default(50),
});
