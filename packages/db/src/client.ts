import { type Prisma, PrismaClient } from "./generated/prisma/client.ts";
import { rememberUrl } from "./membership.ts";
import { pgAdapter } from "./pg-adapter.ts";
import { databaseUrl } from "./url.ts";

/** Models whose every row belongs to one organisation through its `orgId` column. */
export const TENANT_MODELS = [
  "Dataset",
  "Study",
  "Trial",
  "IntermediateValue",
  "TrialResult",
  "ApiToken",
  "AuditEvent",
  "Membership",
  "Invitation",
  "OrgLimits",
  "EventLog",
  "Webhook",
  "WebhookDelivery",
  "Fit",
  "Comparison",
] as const satisfies readonly Prisma.ModelName[];
export type TenantModel = (typeof TENANT_MODELS)[number];

const tenantModels = new Set<string>(TENANT_MODELS);
export function isTenantModel(model: string | undefined): model is TenantModel {
  return model !== undefined && tenantModels.has(model);
}

/** Operations that touch every row their `where` matches: a missing filter means the whole table. */
const SET_OPERATIONS = new Set([
  "findMany",
  "updateMany",
  "updateManyAndReturn",
  "deleteMany",
  "count",
  "aggregate",
  "groupBy",
]);

export class TenantGuardError extends Error {
  override name = "TenantGuardError";
}

type Where = Record<string, unknown>;

function hasDefinedKey(where: Where): boolean {
  return Object.values(where).some((value) => value !== undefined);
}

/** `orgId: undefined` anywhere in the filter tree (including AND/OR/NOT) would mean "any org". */
function findUndefinedOrgId(where: unknown): boolean {
  if (Array.isArray(where)) return where.some(findUndefinedOrgId);
  if (where === null || typeof where !== "object") return false;
  const record = where as Where;
  if (Object.hasOwn(record, "orgId") && record["orgId"] === undefined) return true;
  return ["AND", "OR", "NOT"].some((key) => findUndefinedOrgId(record[key]));
}

/** Throws on the query shapes that silently widen to every tenant's rows. */
export function assertTenantQuery(model: string | undefined, operation: string, args: unknown): void {
  if (!isTenantModel(model)) return;
  const where = (args as { where?: unknown } | undefined)?.where;
  if (findUndefinedOrgId(where)) {
    throw new TenantGuardError(
      `${model}.${operation}: where.orgId is undefined (refusing to query every org)`,
    );
  }
  if (
    SET_OPERATIONS.has(operation) &&
    (where === undefined || where === null || !hasDefinedKey(where as Where))
  ) {
    throw new TenantGuardError(`${model}.${operation}: a filter is required on a tenant model (got none)`);
  }
}

/** Secret columns never leave the database unless a query asks for them by name. */
const OMIT_SECRETS = {
  user: { passwordHash: true },
  apiToken: { tokenHash: true },
  webhook: { secret: true },
} as const;

export interface CreateDbOptions {
  /** Pool size (pg). Default 10. */
  max?: number;
  log?: Prisma.LogLevel[];
}

function baseClient(url: string, options: CreateDbOptions) {
  return new PrismaClient({
    adapter: pgAdapter(url, { max: options.max ?? 10 }),
    omit: OMIT_SECRETS,
    ...(options.log ? { log: options.log } : {}),
  });
}
type BaseClient = ReturnType<typeof baseClient>;

function withTenantGuard(client: BaseClient) {
  return client.$extends({
    name: "tenant-guard",
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          assertTenantQuery(model, operation, args);
          return query(args);
        },
      },
    },
  });
}

export type Db = ReturnType<typeof withTenantGuard>;
/**
 * The unextended client behind each Db, so scopedDb can put its scope in front of the guard. Held on
 * globalThis, as membership.ts's registry: Next loads this module in several server chunks, and a
 * client created by one copy (the shared one in apps/web/src/server/db.ts) must be known to the others.
 */
const basesHolder = globalThis as { hensDbBases?: WeakMap<object, BaseClient> };
basesHolder.hensDbBases ??= new WeakMap<object, BaseClient>();
const bases: WeakMap<object, BaseClient> = basesHolder.hensDbBases;
/** The client inside `db.$transaction(async (tx) => ...)`. */
export type DbTransaction = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/**
 * A Prisma client (adapter-pg) on `url` (default: databaseUrl()). Tenant-model queries with an
 * undefined `orgId` or, for set operations, no filter at all, throw TenantGuardError; secret columns
 * (User.passwordHash, ApiToken.tokenHash) are omitted from every result.
 */
export function createDb(url: string = databaseUrl(), options: CreateDbOptions = {}): Db {
  const base = baseClient(url, options);
  const db = withTenantGuard(base);
  bases.set(db, base);
  rememberUrl(db, url);
  return db;
}

function scopeArgs(operation: string, args: Record<string, unknown>, orgId: string): Record<string, unknown> {
  const scoped: Record<string, unknown> = { ...args };
  const withOrg = (data: unknown) => {
    if (data === null || typeof data !== "object") return data;
    const { org: _relation, ...rest } = data as Record<string, unknown>;
    return { ...rest, orgId };
  };
  switch (operation) {
    case "create":
      scoped["data"] = withOrg(args["data"]);
      break;
    case "createMany":
    case "createManyAndReturn": {
      const data = args["data"];
      scoped["data"] = Array.isArray(data) ? data.map(withOrg) : withOrg(data);
      break;
    }
    case "upsert":
      scoped["where"] = { ...(args["where"] as Where | undefined), orgId };
      scoped["create"] = withOrg(args["create"]);
      scoped["update"] = withOrg(args["update"]);
      break;
    case "update":
    case "updateMany":
    case "updateManyAndReturn":
      // An update cannot move a row to another org either.
      scoped["where"] = { ...(args["where"] as Where | undefined), orgId };
      scoped["data"] = withOrg(args["data"]);
      break;
    default:
      scoped["where"] = { ...(args["where"] as Where | undefined), orgId };
  }
  return scoped;
}

/**
 * A client whose queries on tenant models are pinned to `orgId`: it is added to every `where`
 * (overriding any other value) and to the data of every create. Other models pass through. Use the
 * scalar form (`studyId`, not `study: { connect }`) when creating tenant rows through it.
 */
export function scopedDb(db: Db, orgId: string): Db {
  if (typeof orgId !== "string" || orgId.length === 0) {
    throw new TenantGuardError(`scopedDb: orgId must be a non-empty string, got ${String(orgId)}`);
  }
  const base = bases.get(db);
  if (!base)
    throw new TenantGuardError("scopedDb: pass a client made by createDb (not an already scoped one)");
  // Query extensions run in the order they were added: scope first, then the guard checks the result.
  const scoped = base.$extends({
    name: "tenant-scope",
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          if (!isTenantModel(model)) return query(args);
          return query(scopeArgs(operation, (args ?? {}) as Record<string, unknown>, orgId) as typeof args);
        },
      },
    },
  });
  // Query extensions change behaviour, not types: the scoped client has Db's API.
  return withTenantGuard(scoped as unknown as BaseClient);
}

export interface LoginUser {
  id: string;
  email: string;
  name: string | null;
  passwordHash: string | null;
}

/** The one way to read User.passwordHash (omitted everywhere else): for the credentials login. */
export async function findUserForLogin(db: Db, email: string): Promise<LoginUser | null> {
  return db.user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, passwordHash: true },
  });
}
