import { ZCreateWebhook } from "../../../../server/routers/webhook/create.schema";
import type { RestRoute } from "./routes";

const bodyFields = (body: unknown): Record<string, unknown> =>
  body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};

/** Webhooks per org (docs/api.md, "Webhooks"): ADMIN and OWNER, from a browser session. */
export const WEBHOOK_ROUTES: RestRoute[] = [
  {
    method: "GET",
    path: "/orgs/{org}/webhooks",
    procedure: "webhook.list",
    kind: "query",
    summary: "The org's webhooks (never their secrets)",
    tag: "webhooks",
    scope: "session only",
    input: ({ params }) => ({ org: params["org"] }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/webhooks",
    procedure: "webhook.create",
    kind: "mutation",
    summary: "Create a webhook; the response is the only time its signing secret is shown",
    tag: "webhooks",
    scope: "session only",
    successStatus: 201,
    body: ZCreateWebhook,
    input: ({ params, body }) => ({ ...bodyFields(body), org: params["org"] }),
  },
  {
    method: "POST",
    path: "/orgs/{org}/webhooks/{webhookId}/delete",
    procedure: "webhook.delete",
    kind: "mutation",
    summary: "Delete a webhook and its delivery log",
    tag: "webhooks",
    scope: "session only",
    input: ({ params }) => ({ org: params["org"], webhookId: params["webhookId"] }),
  },
  {
    method: "GET",
    path: "/orgs/{org}/webhooks/{webhookId}/deliveries",
    procedure: "webhook.deliveries",
    kind: "query",
    summary: "A webhook's newest deliveries: state, attempts, last HTTP status or error",
    tag: "webhooks",
    scope: "session only",
    input: ({ params }) => ({ org: params["org"], webhookId: params["webhookId"] }),
  },
];
