import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, type SeededOrg, seedOrg } from "../test-fixtures";

let tdb: TestDatabase;
let s: SeededOrg;

beforeAll(async () => {
  tdb = await createTestDatabase();
  s = await seedOrg(tdb.db, "wh");
});
afterAll(async () => {
  await tdb?.drop();
});

describe("webhook router", () => {
  it("shows the secret once, lists without it, refuses private targets by default, deletes", async () => {
    const admin = callerFor(tdb.db, { userId: s.users.ADMIN.id });
    const created = await admin.webhook.create({
      org: s.org.slug,
      url: "https://93.184.216.34/hens",
      events: ["trial.completed", "study.state"],
      description: "lab",
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const list = await admin.webhook.list({ org: s.org.slug });
    expect(list.items).toEqual([
      expect.objectContaining({
        id: created.id,
        url: "https://93.184.216.34/hens",
        events: ["trial.completed", "study.state"],
      }),
    ]);
    expect(JSON.stringify(list)).not.toContain(created.secret);
    expect((await admin.webhook.deliveries({ org: s.org.slug, webhookId: created.id })).items).toEqual([]);

    const refused = await admin.webhook
      .create({ org: s.org.slug, url: "http://169.254.169.254/latest/meta-data" })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TRPCError);
    expect((refused as TRPCError).code).toBe("BAD_REQUEST");
    expect((refused as TRPCError).message).toMatch(/^url: .*link-local/);
    const badEvent = await admin.webhook
      .create({
        org: s.org.slug,
        url: "https://93.184.216.34/x",
        events: ["trial.exploded" as "study.state"],
      })
      .catch((e: unknown) => e);
    expect((badEvent as TRPCError).code).toBe("BAD_REQUEST");

    // A MEMBER manages no webhooks.
    const member = callerFor(tdb.db, { userId: s.users.MEMBER.id });
    await expect(member.webhook.list({ org: s.org.slug })).rejects.toMatchObject({ code: "FORBIDDEN" });

    expect(await admin.webhook.delete({ org: s.org.slug, webhookId: created.id })).toEqual({
      id: created.id,
      deleted: true,
    });
    expect((await admin.webhook.list({ org: s.org.slug })).items).toEqual([]);
    const audit = await tdb.db.auditEvent.findMany({
      where: { orgId: s.org.id },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(["webhook.create", "webhook.delete"]);
  });
});
