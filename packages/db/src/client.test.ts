import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findUserForLogin, scopedDb, TenantGuardError } from "./client.ts";
import { seedStudy } from "./fixtures.test-helpers.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("tenant guard", () => {
  it("throws on orgId: undefined in a where, at any depth", async () => {
    const orgId: string | undefined = undefined;
    await expect(t.db.study.findMany({ where: { orgId } })).rejects.toThrow(TenantGuardError);
    await expect(t.db.trial.deleteMany({ where: { orgId } })).rejects.toThrow(/orgId is undefined/);
    await expect(t.db.apiToken.findFirst({ where: { AND: [{ orgId }] } })).rejects.toThrow(TenantGuardError);
    await expect(
      t.db.dataset.updateMany({ where: { OR: [{ orgId }] }, data: { name: "x" } }),
    ).rejects.toThrow(TenantGuardError);
  });

  it("throws on set operations with no filter on tenant models", async () => {
    await expect(t.db.study.findMany()).rejects.toThrow(/a filter is required/);
    await expect(t.db.auditEvent.count()).rejects.toThrow(TenantGuardError);
    await expect(t.db.membership.deleteMany({})).rejects.toThrow(TenantGuardError);
    await expect(
      t.db.trial.updateMany({ where: { studyId: undefined }, data: { error: "x" } }),
    ).rejects.toThrow(TenantGuardError);
  });

  it("leaves rows in place when it refuses", async () => {
    const { org } = await seedStudy(t.db, 2);
    await expect(t.db.trial.deleteMany()).rejects.toThrow(TenantGuardError);
    expect(await t.db.trial.count({ where: { orgId: org.id } })).toBe(2);
  });

  it("allows non-tenant models and filtered queries", async () => {
    const { org } = await seedStudy(t.db);
    expect(await t.db.organization.count()).toBeGreaterThan(0);
    expect(await t.db.study.count({ where: { orgId: org.id } })).toBe(1);
  });
});

describe("scopedDb", () => {
  it("cannot read, update or delete another org's rows", async () => {
    const a = await seedStudy(t.db, 1);
    const b = await seedStudy(t.db, 1);
    const asA = scopedDb(t.db, a.org.id);
    const bTrial = b.trials[0]!;

    expect(await asA.study.findMany({})).toEqual([expect.objectContaining({ id: a.study.id })]);
    expect(await asA.study.findUnique({ where: { id: b.study.id } })).toBeNull();
    expect(await asA.trial.findFirst({ where: { id: bTrial.id } })).toBeNull();
    // Asking for the other org explicitly does not help: the scope overrides it.
    expect(await asA.trial.findMany({ where: { orgId: b.org.id } })).toEqual([
      expect.objectContaining({ orgId: a.org.id }),
    ]);
    expect((await asA.trial.updateMany({ where: { id: bTrial.id }, data: { error: "x" } })).count).toBe(0);
    expect((await asA.trial.deleteMany({ where: { id: bTrial.id } })).count).toBe(0);
    await expect(asA.trial.update({ where: { id: bTrial.id }, data: { error: "x" } })).rejects.toThrow();
    expect(await t.db.trial.findUnique({ where: { id: bTrial.id } })).toMatchObject({ error: null });
  });

  it("stamps its org on created rows", async () => {
    const a = await seedStudy(t.db, 0);
    const b = await seedStudy(t.db, 0);
    const asA = scopedDb(t.db, a.org.id);
    const event = await asA.auditEvent.create({ data: { orgId: b.org.id, action: "study.delete" } });
    expect(event.orgId).toBe(a.org.id);
    await asA.auditEvent.createMany({
      data: [
        { orgId: b.org.id, action: "x" },
        { orgId: "", action: "y" },
      ],
    });
    expect(await t.db.auditEvent.count({ where: { orgId: b.org.id } })).toBe(0);
    expect(await t.db.auditEvent.count({ where: { orgId: a.org.id } })).toBe(3);
  });

  it("cannot move a row to another org, and stays scoped inside transactions", async () => {
    const a = await seedStudy(t.db, 1);
    const b = await seedStudy(t.db, 1);
    const asA = scopedDb(t.db, a.org.id);
    await asA.study.update({ where: { id: a.study.id }, data: { orgId: b.org.id, name: "renamed" } });
    expect(await t.db.study.findUniqueOrThrow({ where: { id: a.study.id } })).toMatchObject({
      orgId: a.org.id,
      name: "renamed",
    });
    const seen = await asA.$transaction(async (tx) => tx.trial.findMany({ where: { studyId: b.study.id } }));
    expect(seen).toEqual([]);
    await expect(
      t.db.$transaction(async (tx) => tx.trial.deleteMany({ where: { orgId: undefined } })),
    ).rejects.toThrow(TenantGuardError);
  });

  it("refuses an empty org id", () => {
    expect(() => scopedDb(t.db, "")).toThrow(TenantGuardError);
    expect(() => scopedDb(t.db, undefined as unknown as string)).toThrow(TenantGuardError);
  });
});

describe("secret columns", () => {
  it("omits passwordHash and tokenHash unless asked for by name", async () => {
    const { user, org } = await seedStudy(t.db, 0);
    expect(await t.db.user.findUnique({ where: { id: user.id } })).not.toHaveProperty("passwordHash");
    expect(user).not.toHaveProperty("passwordHash");
    await t.db.apiToken.create({
      data: {
        orgId: org.id,
        userId: user.id,
        name: "ci",
        prefix: "hens_ab",
        tokenHash: "sha256hex",
        scopes: [],
      },
    });
    const tokens = await t.db.apiToken.findMany({ where: { orgId: org.id } });
    expect(tokens[0]).not.toHaveProperty("tokenHash");
    expect(await t.db.apiToken.findUnique({ where: { tokenHash: "sha256hex" } })).toMatchObject({
      name: "ci",
    });
    expect(await findUserForLogin(t.db, user.email)).toMatchObject({
      id: user.id,
      passwordHash: "kdf$secret",
    });
  });
});

describe("trial numbers", () => {
  it("are unique per study", async () => {
    const { org, study } = await seedStudy(t.db, 1);
    await expect(
      t.db.trial.create({ data: { orgId: org.id, studyId: study.id, number: 0, params: {} } }),
    ).rejects.toMatchObject({ code: "P2002" });
    const other = await seedStudy(t.db, 1);
    expect(other.trials[0]?.number).toBe(0);
  });
});
