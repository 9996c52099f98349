// Organisation usage and members over REST with API tokens (automation), and the storage quota on
// REST uploads. The generic cross-tenant walk over every route is in handler.test.ts.
import { setOrgLimits } from "@hyperensemble/platform";
import { describe, expect, it } from "vitest";
import type { TokenScope } from "../../../../server/auth/token";
import { seedOrg, seedToken } from "../../../../server/routers/test-fixtures";
import { restTestHarness } from "./rest-harness.test-helpers";

const h = restTestHarness("acct");

async function get(path: string, token: string) {
  const res = await h.fetch(`http://hens.test/api/v1${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are probed field by field in assertions
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** A token of the org's VIEWER (the least role that reads both) with the given scopes. */
const viewerToken = async (scopes: TokenScope[]) =>
  (await seedToken(h.tdb.db, { orgId: h.s.org.id, userId: h.s.users.VIEWER.id, scopes })).token;

/** A MEMBER's token that uploads datasets. */
const uploaderToken = async () =>
  (await seedToken(h.tdb.db, { orgId: h.s.org.id, userId: h.s.users.MEMBER.id, scopes: ["datasets:write"] }))
    .token;

const csvUpload = (name: string) => ({
  format: "csv",
  name,
  csv: "x,y,dy\n0.1,1.0,0.1\n0.2,1.5,0.1\n0.3,1.7,0.2\n",
  inputs: ["x"],
  targets: ["y"],
  errors: ["dy"],
});

async function upload(token: string, name: string) {
  const res = await h.fetch(`http://hens.test/api/v1/orgs/${h.s.org.slug}/datasets`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(csvUpload(name)),
  });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are probed field by field in assertions
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("GET /orgs/{org}/members and /usage with an API token", () => {
  it("members:read lists the members and their roles; without it 403 naming the scope", async () => {
    const slug = h.s.org.slug;
    const ok = await get(`/orgs/${slug}/members`, await viewerToken(["members:read"]));
    expect(ok.status).toBe(200);
    const listed = (ok.body["items"] as { email: string; role: string }[])
      .map((m) => [m.email, m.role])
      .sort();
    const seeded = Object.entries(h.s.users)
      .map(([role, u]) => [u.email, role])
      .sort();
    expect(listed).toEqual(seeded);
    const refused = await get(`/orgs/${slug}/members`, await viewerToken(["studies:read", "exports:read"]));
    expect(refused.status).toBe(403);
    expect(refused.body["error"]["message"]).toContain("members:read");
  });

  it("studies:read reads usage: months, runner time and the storage held against its quota; without it 403", async () => {
    const slug = h.s.org.slug;
    const writer = await uploaderToken();
    expect((await upload(writer, "usage-data")).status).toBe(201);
    const ok = await get(`/orgs/${slug}/usage?months=2`, await viewerToken(["studies:read"]));
    expect(ok.status).toBe(200);
    const month = new Date().toISOString().slice(0, 7);
    expect(ok.body["months"]).toHaveLength(2);
    expect(ok.body["months"][1]).toMatchObject({ month, trials: 0, runnerSeconds: 0 });
    // The only thing stored is the one upload: the storage is its bytes, the month's upload figure.
    expect(ok.body["storageBytes"]).toBeGreaterThan(0);
    expect(ok.body["storageBytes"]).toBe(ok.body["months"][1]["datasetBytes"]);
    expect(ok.body["storageQuotaBytes"]).toBe(10 * 1024 ** 3);
    const refused = await get(`/orgs/${slug}/usage`, await viewerToken(["members:read"]));
    expect(refused.status).toBe(403);
    expect(refused.body["error"]["message"]).toContain("studies:read");
  });

  it("another organisation's members and usage are 404 to this org's token, as if it did not exist", async () => {
    const other = await seedOrg(h.tdb.db, "acct-other");
    const token = await viewerToken(["members:read", "studies:read"]);
    for (const path of [`/orgs/${other.org.slug}/members`, `/orgs/${other.org.slug}/usage`]) {
      const res = await get(path, token);
      expect(res.status, path).toBe(404);
      expect(res.body["error"]["code"]).toBe("NOT_FOUND");
    }
  });
});

describe("the storage quota on REST uploads", () => {
  it("refuses an upload past the organisation's quota with a 400 naming it and the figures; nothing stored", async () => {
    const token = await uploaderToken();
    const reader = await viewerToken(["studies:read"]);
    const before = (await get(`/orgs/${h.s.org.slug}/usage`, reader)).body["storageBytes"] as number;
    // What a platform admin sets on /admin/orgs/<slug> (admin.setOrgLimits calls the same function).
    await setOrgLimits(h.tdb.db, h.s.org.slug, { maxStorageBytes: before + 10 });
    const datasets = await h.tdb.db.dataset.count({ where: { orgId: h.s.org.id } });
    const refused = await upload(token, "over-quota");
    expect(refused.status).toBe(400);
    expect(refused.body["error"]["code"]).toBe("BAD_REQUEST");
    expect(refused.body["error"]["message"]).toMatch(
      new RegExp(
        `^storage quota \\(maxStorageBytes\\): this upload \\("over-quota"\\) needs [\\d,]+ bytes and the organisation ` +
          `stores ${before.toLocaleString("en-US")} bytes of its quota of ${(before + 10).toLocaleString("en-US")} bytes`,
      ),
    );
    expect(await h.tdb.db.dataset.count({ where: { orgId: h.s.org.id } })).toBe(datasets);
    expect((await get(`/orgs/${h.s.org.slug}/usage`, reader)).body["storageBytes"]).toBe(before);
    await setOrgLimits(h.tdb.db, h.s.org.slug, { maxStorageBytes: null });
    expect((await upload(token, "over-quota")).status).toBe(201);
  });
});
