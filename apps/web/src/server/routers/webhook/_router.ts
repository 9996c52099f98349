import { orgProcedure, router } from "../../trpc";
import { ZCreateWebhook, ZListDeliveries, ZWebhookRef } from "./create.schema";
import {
  createWebhookHandler,
  deleteWebhookHandler,
  listDeliveriesHandler,
  listWebhooksHandler,
} from "./handlers";

// Webhooks send the org's events to outside URLs with a secret: managed like the org's tokens
// (ADMIN and OWNER, browser sessions only: no token scope reaches "token:manage").
export const webhookRouter = router({
  list: orgProcedure("token:manage").query(({ ctx }) => listWebhooksHandler({ ctx })),
  create: orgProcedure("token:manage")
    .input(ZCreateWebhook)
    .mutation(({ ctx, input }) => createWebhookHandler({ ctx, input })),
  delete: orgProcedure("token:manage")
    .input(ZWebhookRef)
    .mutation(({ ctx, input }) => deleteWebhookHandler({ ctx, input })),
  deliveries: orgProcedure("token:manage")
    .input(ZListDeliveries)
    .query(({ ctx, input }) => listDeliveriesHandler({ ctx, input })),
});
