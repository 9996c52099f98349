import { ZOrgUsage } from "../../../../server/routers/org/schema";
import type { RestRoute } from "./routes";

/** Organisation usage and members for automation (issue 19); each maps onto one tRPC procedure. */
export const ACCOUNT_ROUTES: RestRoute[] = [
  {
    method: "GET",
    path: "/orgs/{org}/usage",
    procedure: "org.usage",
    kind: "query",
    summary: "Usage per month: trials, runner seconds, dataset bytes; and the storage held now",
    tag: "organisation",
    scope: "studies:read",
    query: ZOrgUsage,
    // A whole number becomes a number; anything else reaches zod as text and is refused by name.
    input: ({ params, query }) => {
      const months = query.get("months");
      if (months === null) return { org: params["org"] };
      return { org: params["org"], months: /^\d+$/.test(months) ? Number(months) : months };
    },
  },
  {
    method: "GET",
    path: "/orgs/{org}/members",
    procedure: "member.list",
    kind: "query",
    summary: "Members and their roles",
    tag: "organisation",
    scope: "members:read",
    input: ({ params }) => ({ org: params["org"] }),
  },
];
