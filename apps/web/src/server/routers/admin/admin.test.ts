// Platform admin: decided on the stored email of the session's user, never a claim; quotas set here
// are what study creation enforces.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { syntheticTheory } from "@hyperensemble/engine";
import { TRPCError } from "@trpc/server";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "../../../env";
import { storedPlatformAdminAccess } from "../../auth/platform-admin";
import { sessionUserId } from "../../auth/session";
import { startSession } from "../../auth/session-store";
import { callerFor, createUser, seedOrg } from "../test-fixtures";

const ADMINS = "ops@platform.test";
let tdb: TestDatabase;
let savedAdmins: string | undefined;
beforeAll(async () => {
  tdb = await createTestDatabase();
  // The running server reads HENS_PLATFORM_ADMINS from its validated environment (env.ts).
  savedAdmins = env.HENS_PLATFORM_ADMINS;
  env.HENS_PLATFORM_ADMINS = ADMINS;
});
afterAll(async () => {
  env.HENS_PLATFORM_ADMINS = savedAdmins;
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

/** A real session cookie for `userId` whose JWT also claims `email` (what a forger would put in). */
async function cookieRequest(userId: string, email: string) {
  const started = await startSession(tdb.db, userId, { idleMs: 3_600_000 });
  const token = await encode({
    token: { sub: userId, sid: started?.sid, sv: started?.sv, email, name: "forged" },
    secret: env.AUTH_SECRET,
    salt: "authjs.session-token",
    maxAge: 3600,
  });
  return new Request("http://hens.test/api/trpc/admin.orgs", {
    headers: { cookie: `authjs.session-token=${token}` },
  });
}

describe("platform admin access", () => {
  it("an email claim naming an admin does nothing: the stored email of the session's user decides", async () => {
    const s = await seedOrg(tdb.db, "forge");
    const ops = await createUser(tdb.db, "OPS@platform.test");
    const forged = await cookieRequest(s.users.OWNER.id, ADMINS);
    const forgedUser = await sessionUserId(forged, Date.now(), tdb.db);
    expect(forgedUser).toBe(s.users.OWNER.id);
    expect(await codeOf(callerFor(tdb.db, { userId: forgedUser ?? "" }).admin.orgs({}))).toBe("FORBIDDEN");
    expect(await storedPlatformAdminAccess(tdb.db, forgedUser, ADMINS)).toBe("forbidden");
    expect(await storedPlatformAdminAccess(tdb.db, null, ADMINS)).toBe("anonymous");

    const real = await sessionUserId(await cookieRequest(ops.id, "anything@else.test"), Date.now(), tdb.db);
    expect(await storedPlatformAdminAccess(tdb.db, real, ADMINS)).toBe("admin");
    const admin = callerFor(tdb.db, { userId: real ?? "" });
    const orgs = await admin.admin.orgs({ search: s.org.slug });
    expect(orgs.items.map((o) => o.slug)).toEqual([s.org.slug]);
    const users = await admin.admin.users({ search: "ops@platform" });
    expect(users.items.map((u) => [u.email, u.platformAdmin])).toEqual([["OPS@platform.test", true]]);
    // A deactivated admin is an admin no more.
    await tdb.db.user.update({ where: { id: ops.id }, data: { deactivatedAt: new Date() } });
    expect(await storedPlatformAdminAccess(tdb.db, ops.id, ADMINS)).toBe("anonymous");
  });

  it("quotas set by an admin are enforced at study creation, and clearing them restores the default", async () => {
    const s = await seedOrg(tdb.db, "quota");
    const ops = await createUser(tdb.db, "ops@platform.test");
    const admin = callerFor(tdb.db, { userId: ops.id }).admin;
    const member = callerFor(tdb.db, { userId: s.users.MEMBER.id });
    const bad = await admin
      .setOrgLimits({ orgSlug: s.org.slug, limits: { maxParallelism: 1.5 } })
      .catch((e: unknown) => e);
    expect((bad as TRPCError).code).toBe("BAD_REQUEST");
    expect((bad as TRPCError).message).toContain("maxParallelism must be a whole number");

    const set = await admin.setOrgLimits({ orgSlug: s.org.slug, limits: { maxTrialsPerStudy: 3 } });
    expect(set.limits.find((l) => l.name === "maxTrialsPerStudy")).toMatchObject({ value: 3, override: 3 });
    const over = await member.study
      .create({ org: s.org.slug, name: "too-many", replicas: 2, trials: 4 })
      .catch((e: unknown) => e);
    expect(over).toBeInstanceOf(TRPCError);
    expect((over as TRPCError).code).toBe("BAD_REQUEST");
    expect((over as TRPCError).message).toMatch(/trials/);
    expect(await codeOf(member.study.create({ org: s.org.slug, name: "fits", replicas: 2, trials: 3 }))).toBe(
      "OK",
    );

    await admin.setOrgLimits({ orgSlug: s.org.slug, limits: { maxTrialsPerStudy: null } });
    expect(
      await codeOf(member.study.create({ org: s.org.slug, name: "default-again", replicas: 2, trials: 4 })),
    ).toBe("OK");
    const events = await tdb.db.auditEvent.findMany({ where: { orgId: s.org.id, action: "org.limits" } });
    expect(events.map((e) => [e.actorId, e.data])).toEqual([
      [ops.id, { maxTrialsPerStudy: 3 }],
      [ops.id, { maxTrialsPerStudy: null }],
    ]);
    const usage = await admin.usage({ months: 1 });
    // Trials are created as parallelism allows: usage counts the rows there are.
    const trials = await tdb.db.trial.count({ where: { orgId: s.org.id } });
    expect(trials).toBeGreaterThan(0);
    expect(usage.orgs.find((o) => o.slug === s.org.slug)?.trials).toBe(trials);
  });

  it("a storage quota set by an admin refuses uploads (datasets and theories) before anything is stored; usage reports the storage it checks", async () => {
    const s = await seedOrg(tdb.db, "storage");
    const ops = await createUser(tdb.db, "ops-storage@platform.test");
    env.HENS_PLATFORM_ADMINS = `${ADMINS} ops-storage@platform.test`;
    const admin = callerFor(tdb.db, { userId: ops.id }).admin;
    const member = callerFor(tdb.db, { userId: s.users.MEMBER.id });
    const csv = (name: string) => ({
      org: s.org.slug,
      format: "csv" as const,
      name,
      csv: "x,y,dy\n0.1,1.0,0.1\n0.2,1.5,0.1\n0.3,1.7,0.2\n",
      inputs: ["x"],
      targets: ["y"],
      errors: ["dy"],
    });
    // The default quota, 10 GiB (HENS_ORG_MAX_STORAGE_BYTES unset), is reported with the storage.
    const empty = await member.org.usage({ org: s.org.slug, months: 1 });
    expect(empty.storageBytes).toBe(0);
    expect(empty.storageQuotaBytes).toBe(10 * 1024 * 1024 * 1024);
    await member.dataset.upload(csv("first"));
    const usage = await member.org.usage({ org: s.org.slug, months: 1 });
    // Nothing but the one dataset is stored: the storage is its bytes, the month's upload figure.
    expect(usage.storageBytes).toBeGreaterThan(0);
    expect(usage.storageBytes).toBe(usage.months[0]?.datasetBytes);

    // Room for 10 more bytes: a second copy of the same dataset does not fit.
    const quota = usage.storageBytes + 10;
    const set = await admin.setOrgLimits({ orgSlug: s.org.slug, limits: { maxStorageBytes: quota } });
    expect(set.limits.find((l) => l.name === "maxStorageBytes")).toMatchObject({
      value: quota,
      override: quota,
    });
    const theory = syntheticTheory({ subsets: 2, pointsPerSubset: 4, gridPoints: 8, level: 1, seed: 3 });
    for (const upload of [
      csv("second"),
      { org: s.org.slug, format: "theory" as const, name: "theory", theory },
    ]) {
      const refused = await member.dataset.upload(upload).catch((e: unknown) => e);
      expect(refused, upload.name).toBeInstanceOf(TRPCError);
      expect((refused as TRPCError).code).toBe("BAD_REQUEST");
      const message = (refused as TRPCError).message;
      expect(message).toMatch(
        /^storage quota \(maxStorageBytes\): this upload \("(second|theory)"\) needs [\d,]+ bytes/,
      );
      expect(message).toContain(
        `the organisation stores ${usage.storageBytes.toLocaleString("en-US")} bytes of its quota of ` +
          `${quota.toLocaleString("en-US")} bytes (this organisation's override); nothing was stored`,
      );
    }
    // Nothing stored: one dataset, one upload audited, the same storage.
    expect(await tdb.db.dataset.count({ where: { orgId: s.org.id } })).toBe(1);
    expect(await tdb.db.auditEvent.count({ where: { orgId: s.org.id, action: "dataset.upload" } })).toBe(1);
    expect((await member.org.usage({ org: s.org.slug, months: 1 })).storageBytes).toBe(usage.storageBytes);

    // Back to the default: the same upload is stored, and counted.
    await admin.setOrgLimits({ orgSlug: s.org.slug, limits: { maxStorageBytes: null } });
    expect(await codeOf(member.dataset.upload(csv("second")))).toBe("OK");
    expect((await member.org.usage({ org: s.org.slug, months: 1 })).storageBytes).toBeGreaterThan(
      usage.storageBytes,
    );
  });
});
