import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../permissions";
import { orgContext, type SeededOrg, seedOrg, seedToken } from "../test-fixtures";
import { listMembersHandler } from "./list.handler";
import { removeMemberHandler, updateMemberRoleHandler } from "./update.handler";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

const ctxOf = (seeded: SeededOrg, role: Role) =>
  orgContext(tdb.db, seeded, role, scopedDb(tdb.db, seeded.org.id));

async function codeOf(promise: Promise<unknown>) {
  try {
    await promise;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

describe("members", () => {
  it("lists members with their roles", async () => {
    const s = await seedOrg(tdb.db, "m");
    const { items } = await listMembersHandler({ ctx: ctxOf(s, "VIEWER") });
    expect(items.map((m) => m.role).sort()).toEqual(["ADMIN", "MEMBER", "OWNER", "VIEWER"]);
  });

  it("an ADMIN changes roles below OWNER, with an audit event; not OWNER's", async () => {
    const s = await seedOrg(tdb.db, "m");
    const admin = ctxOf(s, "ADMIN");
    await updateMemberRoleHandler({ ctx: admin, input: { userId: s.users.VIEWER.id, role: "MEMBER" } });
    const audit = await tdb.db.auditEvent.findMany({ where: { orgId: s.org.id, action: "member.role" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]?.data).toEqual({ from: "VIEWER", to: "MEMBER" });
    expect(
      await codeOf(
        updateMemberRoleHandler({ ctx: admin, input: { userId: s.users.MEMBER.id, role: "OWNER" } }),
      ),
    ).toBe("FORBIDDEN");
    expect(
      await codeOf(
        updateMemberRoleHandler({ ctx: admin, input: { userId: s.users.OWNER.id, role: "ADMIN" } }),
      ),
    ).toBe("FORBIDDEN");
    expect(await codeOf(removeMemberHandler({ ctx: admin, input: { userId: s.users.OWNER.id } }))).toBe(
      "FORBIDDEN",
    );
  });

  it("the last OWNER cannot be demoted or removed, even by two owners at once", async () => {
    const s = await seedOrg(tdb.db, "m");
    const owner = ctxOf(s, "OWNER");
    expect(
      await codeOf(
        updateMemberRoleHandler({ ctx: owner, input: { userId: s.users.OWNER.id, role: "ADMIN" } }),
      ),
    ).toBe("BAD_REQUEST");
    expect(await codeOf(removeMemberHandler({ ctx: owner, input: { userId: s.users.OWNER.id } }))).toBe(
      "BAD_REQUEST",
    );
    // Two owners demote each other concurrently: exactly one succeeds.
    await updateMemberRoleHandler({ ctx: owner, input: { userId: s.users.ADMIN.id, role: "OWNER" } });
    const second = { ...owner, user: { id: s.users.ADMIN.id } };
    const results = await Promise.all([
      codeOf(updateMemberRoleHandler({ ctx: owner, input: { userId: s.users.ADMIN.id, role: "MEMBER" } })),
      codeOf(updateMemberRoleHandler({ ctx: second, input: { userId: s.users.OWNER.id, role: "MEMBER" } })),
    ]);
    expect(results.sort()).toEqual(["BAD_REQUEST", "OK"]);
    expect(await tdb.db.membership.count({ where: { orgId: s.org.id, role: "OWNER" } })).toBe(1);
  });

  it("removing a member revokes their tokens and is audited; other orgs' members are NOT_FOUND", async () => {
    const s = await seedOrg(tdb.db, "m");
    const other = await seedOrg(tdb.db, "m");
    const token = await seedToken(tdb.db, {
      orgId: s.org.id,
      userId: s.users.MEMBER.id,
      scopes: ["studies:read"],
    });
    await removeMemberHandler({ ctx: ctxOf(s, "ADMIN"), input: { userId: s.users.MEMBER.id } });
    expect(await tdb.db.membership.count({ where: { orgId: s.org.id, userId: s.users.MEMBER.id } })).toBe(0);
    const row = await tdb.db.apiToken.findFirst({ where: { id: token.id, orgId: s.org.id } });
    expect(row?.revokedAt).not.toBeNull();
    expect(await tdb.db.auditEvent.count({ where: { orgId: s.org.id, action: "member.remove" } })).toBe(1);
    expect(
      await codeOf(removeMemberHandler({ ctx: ctxOf(s, "OWNER"), input: { userId: other.users.MEMBER.id } })),
    ).toBe("NOT_FOUND");
    expect(await tdb.db.membership.count({ where: { orgId: other.org.id } })).toBe(4);
  });
});
