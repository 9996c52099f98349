import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../auth/token";
import { createUser, orgContext, seedOrg } from "../test-fixtures";
import { acceptInvitationHandler, previewInvitationHandler } from "./accept.handler";
import { createInvitationHandler, listInvitationsHandler, revokeInvitationHandler } from "./create.handler";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

async function codeOf(promise: Promise<unknown>) {
  try {
    await promise;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

describe("invitations", () => {
  it("link invitation: hashed, accepted once by the matching email, audited", async () => {
    const s = await seedOrg(tdb.db, "inv");
    const admin = orgContext(tdb.db, s, "ADMIN", scopedDb(tdb.db, s.org.id));
    const invitee = await createUser(tdb.db, `new-${s.org.slug}@example.test`);
    const stranger = await createUser(tdb.db);
    const created = await createInvitationHandler({
      ctx: admin,
      input: { email: invitee.email.toUpperCase(), role: "MEMBER", expiresInDays: 7 },
    });
    expect(created.path).toBe(`/invite/${created.token}`);
    const row = await tdb.db.invitation.findFirst({ where: { id: created.id, orgId: s.org.id } });
    expect(row?.tokenHash).toBe(sha256Hex(created.token));
    expect(JSON.stringify(await tdb.db.$queryRaw`SELECT * FROM "Invitation"`)).not.toContain(created.token);
    expect((await listInvitationsHandler({ ctx: admin })).items).toHaveLength(1);

    const preview = await previewInvitationHandler({
      ctx: { db: tdb.db, user: { id: stranger.id } },
      input: { token: created.token },
    });
    expect(preview).toMatchObject({ role: "MEMBER", emailMatches: false, expired: false, accepted: false });
    expect(
      await codeOf(
        acceptInvitationHandler({
          ctx: { db: tdb.db, user: { id: stranger.id } },
          input: { token: created.token },
        }),
      ),
    ).toBe("FORBIDDEN");
    expect(
      await codeOf(
        acceptInvitationHandler({
          ctx: { db: tdb.db, user: { id: invitee.id }, tokenId: "api-token" },
          input: { token: created.token },
        }),
      ),
    ).toBe("FORBIDDEN");
    const accepted = await acceptInvitationHandler({
      ctx: { db: tdb.db, user: { id: invitee.id } },
      input: { token: created.token },
    });
    expect(accepted).toEqual({ org: s.org.slug, role: "MEMBER" });
    const membership = await tdb.db.membership.findFirst({ where: { orgId: s.org.id, userId: invitee.id } });
    expect(membership?.role).toBe("MEMBER");
    expect(
      await codeOf(
        acceptInvitationHandler({
          ctx: { db: tdb.db, user: { id: invitee.id } },
          input: { token: created.token },
        }),
      ),
    ).toBe("CONFLICT");
    const actions = (await tdb.db.auditEvent.findMany({ where: { orgId: s.org.id } }))
      .map((e) => e.action)
      .sort();
    expect(actions).toEqual(["invitation.accept", "invitation.create"]);
  });

  it("expired and revoked invitations create nothing; only an OWNER invites an OWNER", async () => {
    const s = await seedOrg(tdb.db, "inv");
    const admin = orgContext(tdb.db, s, "ADMIN", scopedDb(tdb.db, s.org.id));
    const invitee = await createUser(tdb.db);
    const now = new Date("2026-01-01T00:00:00Z");
    const created = await createInvitationHandler({
      ctx: admin,
      input: { email: invitee.email, role: "VIEWER", expiresInDays: 1 },
      now,
    });
    const later = new Date(now.getTime() + 2 * 86_400_000);
    expect(
      await codeOf(
        acceptInvitationHandler({
          ctx: { db: tdb.db, user: { id: invitee.id } },
          input: { token: created.token },
          now: later,
        }),
      ),
    ).toBe("BAD_REQUEST");
    const second = await createInvitationHandler({
      ctx: admin,
      input: { email: invitee.email, role: "VIEWER", expiresInDays: 7 },
    });
    await revokeInvitationHandler({ ctx: admin, input: { invitationId: second.id } });
    expect(
      await codeOf(
        acceptInvitationHandler({
          ctx: { db: tdb.db, user: { id: invitee.id } },
          input: { token: second.token },
        }),
      ),
    ).toBe("NOT_FOUND");
    expect(await tdb.db.membership.count({ where: { orgId: s.org.id, userId: invitee.id } })).toBe(0);
    expect(
      await codeOf(
        createInvitationHandler({
          ctx: admin,
          input: { email: "o@example.test", role: "OWNER", expiresInDays: 7 },
        }),
      ),
    ).toBe("FORBIDDEN");
  });
});
