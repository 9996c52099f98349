import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callerFor, seedOrg } from "../test-fixtures";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.drop());

it("org.mine lists the caller's orgs; an API token sees only its own org", async () => {
  const a = await seedOrg(t.db, "mine-a");
  const b = await seedOrg(t.db, "mine-b");
  const user = a.users.MEMBER;
  await t.db.membership.create({ data: { orgId: b.org.id, userId: user.id, role: "VIEWER" } });

  const session = await callerFor(t.db, { userId: user.id }).org.mine();
  expect(session.map((o) => o.slug).sort()).toEqual([a.org.slug, b.org.slug].sort());

  const token = await callerFor(t.db, {
    userId: user.id,
    orgId: b.org.id,
    scopes: ["studies:read"],
  }).org.mine();
  expect(token).toEqual([{ slug: b.org.slug, name: b.org.name, role: "VIEWER" }]);
});
