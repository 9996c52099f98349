// Test fixtures for the web server's handlers and routers (imported by *.test.ts only): organizations
// with one user per role, the tRPC context a request would get, and the narrow handler context.
import type { Db } from "@hyperensemble/db";
import type { TrialEnqueuer, TrialJob } from "@hyperensemble/platform";
import { generateApiToken, type TokenScope } from "../auth/token";
import type { OrgContext } from "../context-types";
import type { Role } from "../permissions";
import { type Context, createCallerFactory, type Principal } from "../trpc";
import { appRouter } from "./_app";

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Records jobs instead of queueing them: the platform's enqueuer seam, not a mock of BullMQ. */
export class RecordingEnqueuer implements TrialEnqueuer {
  readonly jobs: TrialJob[] = [];
  async enqueue(job: TrialJob) {
    this.jobs.push(job);
  }
}

export const ROLES: Role[] = ["OWNER", "ADMIN", "MEMBER", "VIEWER"];

export interface SeededOrg {
  org: { id: string; slug: string; name: string };
  users: Record<Role, { id: string; email: string }>;
}

export async function seedOrg(db: Db, label = "org"): Promise<SeededOrg> {
  const id = unique();
  const org = await db.organization.create({
    data: { slug: `${label}-${id}`, name: `${label} ${id}` },
    select: { id: true, slug: true, name: true },
  });
  const users = {} as SeededOrg["users"];
  for (const role of ROLES) {
    const user = await db.user.create({
      data: { email: `${role.toLowerCase()}-${id}@${label}.test` },
      select: { id: true, email: true },
    });
    await db.membership.create({ data: { orgId: org.id, userId: user.id, role } });
    users[role] = user;
  }
  return { org, users };
}

export async function createUser(db: Db, email = `user-${unique()}@example.test`) {
  return db.user.create({ data: { email }, select: { id: true, email: true } });
}

/** A token row for `userId` in `orgId`; returns the plaintext as a client would hold it. */
export async function seedToken(
  db: Db,
  args: { orgId: string; userId: string; scopes: TokenScope[]; expiresAt?: Date; revokedAt?: Date },
) {
  const { token, prefix, tokenHash } = generateApiToken();
  const row = await db.apiToken.create({
    data: {
      orgId: args.orgId,
      userId: args.userId,
      name: `token-${unique()}`,
      prefix,
      tokenHash,
      scopes: args.scopes,
      expiresAt: args.expiresAt ?? null,
      revokedAt: args.revokedAt ?? null,
    },
    select: { id: true },
  });
  return { id: row.id, token };
}

/** The context createContext would build for `principal` (null: signed out). */
export function requestContext(
  db: Db,
  principal: Principal | null,
  enqueuer = new RecordingEnqueuer(),
): Context {
  const ctx = { db, enqueuer, requeuer: enqueuer, principal, req: new Request("http://hens.test/api/trpc") };
  return ctx as unknown as Context;
}

const createCaller = createCallerFactory(appRouter);
export function callerFor(db: Db, principal: Principal | null) {
  return createCaller(requestContext(db, principal));
}

/** A narrow handler context, as orgProcedure would hand it over. */
export function orgContext(db: Db, seeded: SeededOrg, role: Role, orgDb: Db): OrgContext {
  const enqueuer = new RecordingEnqueuer();
  return {
    db,
    orgDb,
    enqueuer,
    requeuer: enqueuer,
    org: seeded.org,
    user: { id: seeded.users[role].id },
    role,
  };
}
