import { orgMembership, scopedDb } from "@hyperensemble/db";
import { fieldErrors } from "@hyperensemble/platform/schema";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError, z } from "zod";
import { env } from "../env";
import { internalErrorMessage, logInternalError } from "./api-errors";
import { isCrossSiteRequest } from "./auth/csrf";
import { isPlatformAdmin } from "./auth/platform-admin";
import { sessionUserId } from "./auth/session";
import { authenticateBearer } from "./auth/token";
import { db } from "./db";
import { type Permission, type Role, roleCan } from "./permissions";
import { enqueuer, requeuer } from "./queue";

export interface Principal {
  userId: string;
  /** Token scopes when authenticated by API token; undefined for a browser session (role decides). */
  scopes?: readonly string[];
  /** The org an API token belongs to: the token is refused (NOT_FOUND) for any other org. */
  orgId?: string;
  tokenId?: string;
}

export async function createContext(opts: { req: Request }) {
  // `Authorization: Bearer hens_...` authenticates by API token (401/429 on a bad or throttled one);
  // without it the browser session decides.
  const tokenPrincipal = await authenticateBearer(db, opts.req);
  if (tokenPrincipal)
    return { db, enqueuer, requeuer, principal: tokenPrincipal as Principal | null, req: opts.req };
  const userId = await sessionUserId(opts.req);
  if (userId && opts.req.method === "POST" && isCrossSiteRequest(opts.req)) {
    throw new TRPCError({ code: "FORBIDDEN", message: "cross-site request refused" });
  }
  const principal: Principal | null = userId ? { userId } : null;
  return { db, enqueuer, requeuer, principal, req: opts.req };
}
export type Context = Awaited<ReturnType<typeof createContext>>;

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error, path }) {
    if (error.code === "INTERNAL_SERVER_ERROR") {
      // Unexpected (Prisma, SQL, a bug): the detail and its stack go to the log, the client gets an id.
      const requestId = logInternalError(error, `tRPC ${path ?? "(no path)"}`);
      const { stack: _stack, ...data } = shape.data;
      return {
        ...shape,
        message: internalErrorMessage(requestId),
        data: { ...data, requestId, fieldErrors: null },
      };
    }
    const cause = error.cause;
    return {
      ...shape,
      data: { ...shape.data, fieldErrors: cause instanceof ZodError ? fieldErrors(cause) : null },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;

export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.principal) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

/**
 * A person in the browser, not an API token: account settings, creating organisations and platform
 * administration are not for automation (a token belongs to one org and carries its scopes).
 */
export const sessionProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.principal.tokenId) {
    throw new TRPCError({ code: "FORBIDDEN", message: "this is done in the browser, not with an API token" });
  }
  return next({ ctx: { ...ctx, user: { id: ctx.principal.userId } } });
});

/**
 * Platform admins (HENS_PLATFORM_ADMINS), decided on the user's email as stored in the database,
 * looked up from the session's user id on every call: a claim in a cookie or a token never counts.
 * Everyone else, signed in, gets FORBIDDEN.
 */
export const platformAdminProcedure = sessionProcedure.use(async ({ ctx, next }) => {
  const user = await ctx.db.user.findUnique({ where: { id: ctx.user.id }, select: { email: true } });
  if (!isPlatformAdmin(user?.email, env.HENS_PLATFORM_ADMINS)) {
    throw new TRPCError({ code: "FORBIDDEN", message: "platform admins only" });
  }
  return next({ ctx });
});

/**
 * The one place tenancy is enforced: resolve the org named by `input.org` (its slug), check the
 * caller's membership and role, and hand the handler a database client scoped to that org.
 * Non-members get NOT_FOUND, exactly as for an org that does not exist.
 */
export function orgProcedure(permission: Permission) {
  return protectedProcedure
    .input(z.object({ org: z.string({ error: "org is required" }).min(1, { error: "org is required" }) }))
    .use(async ({ ctx, input, next }) => {
      const found = await orgMembership(ctx.db, input.org, ctx.principal.userId);
      const otherOrgsToken = ctx.principal.orgId !== undefined && ctx.principal.orgId !== found?.org.id;
      if (!found || otherOrgsToken) {
        throw new TRPCError({ code: "NOT_FOUND", message: "organization not found" });
      }
      const { org } = found;
      const role = found.role as Role;
      if (!roleCan(role, permission)) {
        throw new TRPCError({ code: "FORBIDDEN", message: `your role ${role} cannot ${permission}` });
      }
      const scopes = ctx.principal.scopes;
      if (scopes && !scopes.includes(scopeFor(permission))) {
        throw new TRPCError({ code: "FORBIDDEN", message: `token lacks scope ${scopeFor(permission)}` });
      }
      return next({
        ctx: {
          ...ctx,
          org,
          role,
          user: { id: ctx.principal.userId },
          orgDb: scopedDb(ctx.db, org.id),
        },
      });
    });
}

// API-token scopes map onto permissions (tokens are intersected with the creator's role above).
// Permissions without a scope here (managing members, tokens, audit) are never reachable with a token.
function scopeFor(permission: Permission): string {
  switch (permission) {
    case "study:read":
    case "dataset:read":
      return "studies:read";
    case "study:write":
      return "studies:write";
    case "trial:write":
      return "trials:write";
    case "dataset:write":
      return "datasets:write";
    case "export:read":
      return "exports:read";
    // Its own scope, not studies:read: the member list is people's emails, which a CI token reading
    // studies has no need of.
    case "member:read":
      return "members:read";
    default:
      return permission;
  }
}
