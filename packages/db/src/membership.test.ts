import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgMembership, userMemberships } from "./membership.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("orgMembership", () => {
  it("finds the org by slug and the caller's role, and nothing for anyone else", async () => {
    const { db } = t;
    const a = await db.organization.create({ data: { slug: "alpha", name: "Alpha" } });
    const b = await db.organization.create({ data: { slug: "beta", name: "Beta" } });
    const ann = await db.user.create({ data: { email: "ann@example.org" } });
    const bob = await db.user.create({ data: { email: "bob@example.org" } });
    await db.membership.create({ data: { orgId: a.id, userId: ann.id, role: "ADMIN" } });
    await db.membership.create({ data: { orgId: b.id, userId: bob.id, role: "VIEWER" } });

    expect(await orgMembership(db, "alpha", ann.id)).toEqual({
      org: { id: a.id, slug: "alpha", name: "Alpha" },
      role: "ADMIN",
    });
    expect(await orgMembership(db, "beta", bob.id)).toMatchObject({ org: { id: b.id }, role: "VIEWER" });
    // Another org's member, an unknown org, an unknown user.
    expect(await orgMembership(db, "beta", ann.id)).toBeNull();
    expect(await orgMembership(db, "gamma", ann.id)).toBeNull();
    expect(await orgMembership(db, "alpha", "no-such-user")).toBeNull();
    // The slug is a parameter, never SQL.
    expect(await orgMembership(db, "alpha' OR '1'='1", ann.id)).toBeNull();
  });

  it("sees role changes and removals on the next call (nothing cached)", async () => {
    const { db } = t;
    const org = await db.organization.create({ data: { slug: "delta", name: "Delta" } });
    const cy = await db.user.create({ data: { email: "cy@example.org" } });
    await db.membership.create({ data: { orgId: org.id, userId: cy.id, role: "MEMBER" } });
    expect((await orgMembership(db, "delta", cy.id))?.role).toBe("MEMBER");
    await db.membership.updateMany({ where: { orgId: org.id, userId: cy.id }, data: { role: "OWNER" } });
    expect((await orgMembership(db, "delta", cy.id))?.role).toBe("OWNER");
    await db.membership.deleteMany({ where: { orgId: org.id, userId: cy.id } });
    expect(await orgMembership(db, "delta", cy.id)).toBeNull();
  });

  it("lists a user's own memberships, oldest first, and no one else's", async () => {
    const { db } = t;
    const dee = await db.user.create({ data: { email: "dee@example.org" } });
    const eve = await db.user.create({ data: { email: "eve@example.org" } });
    const orgs = [];
    for (const [i, slug] of ["omega", "kappa", "sigma"].entries()) {
      const org = await db.organization.create({ data: { slug, name: slug.toUpperCase() } });
      orgs.push(org);
      await db.membership.create({
        data: {
          orgId: org.id,
          userId: dee.id,
          role: i === 1 ? "OWNER" : "VIEWER",
          createdAt: new Date(2026, 0, 3 - i),
        },
      });
    }
    await db.membership.create({ data: { orgId: orgs[0]!.id, userId: eve.id, role: "ADMIN" } });
    expect(await userMemberships(db, dee.id)).toEqual([
      { orgId: orgs[2]!.id, slug: "sigma", name: "SIGMA", role: "VIEWER" },
      { orgId: orgs[1]!.id, slug: "kappa", name: "KAPPA", role: "OWNER" },
      { orgId: orgs[0]!.id, slug: "omega", name: "OMEGA", role: "VIEWER" },
    ]);
    expect(await userMemberships(db, eve.id)).toEqual([
      { orgId: orgs[0]!.id, slug: "omega", name: "OMEGA", role: "ADMIN" },
    ]);
    expect(await userMemberships(db, "nobody")).toEqual([]);
  });

  it("refuses a client it does not know", async () => {
    await expect(orgMembership({}, "alpha", "x")).rejects.toThrow(/createDb/);
  });
});
