// Organisations: slugs (format, reserved words, taken), who may create one under each HENS_SIGNUP
// mode, ownership transfer, leaving, and deletion (studies cancelled, data removed, audit kept).
import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, createUser, orgContext, seedOrg, seedToken } from "../test-fixtures";
import {
  createOrgHandler,
  deleteOrgHandler,
  leaveOrgHandler,
  transferOwnershipHandler,
} from "./manage.handler";
import { ZCreateOrg } from "./schema";
import { slugFromName } from "./slug";
import { orgUsage } from "./usage.handler";

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

describe("slugs", () => {
  it("refuses reserved words and bad shapes, naming the field", () => {
    for (const slug of ["admin", "api", "signup", "settings", "o", "Admin"]) {
      const parsed = ZCreateOrg.safeParse({ name: "Some Org", slug });
      expect(parsed.success, slug).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(["slug"]);
    }
    expect(ZCreateOrg.safeParse({ name: "x", slug: "ok-slug" }).error?.issues[0]?.path).toEqual(["name"]);
    for (const slug of ["ab", "-lead", "trail-", "dou--ble", "under_score", "a".repeat(41)]) {
      expect(ZCreateOrg.safeParse({ name: "Some Org", slug }).success, slug).toBe(false);
    }
    expect(ZCreateOrg.parse({ name: "NNPDF Closure", slug: "NNPDF-closure" }).slug).toBe("nnpdf-closure");
    expect(slugFromName("  Ünïcode & Co. Lab! ")).toBe("unicode-co-lab");
  });

  it("a taken slug is a CONFLICT on the slug field; the creator becomes OWNER, audited", async () => {
    const user = await createUser(tdb.db);
    const ctx = { db: tdb.db, user: { id: user.id } };
    const open = { signup: { kind: "open" } as const, platformAdmins: undefined };
    const created = await createOrgHandler({ ctx, input: { name: "Team One", slug: "team-one" }, ...open });
    expect(created).toEqual({ slug: "team-one", name: "Team One", role: "OWNER" });
    const err = await createOrgHandler({ ctx, input: { name: "Team Two", slug: "team-one" }, ...open }).catch(
      (e: unknown) => e,
    );
    expect((err as TRPCError).code).toBe("CONFLICT");
    expect((err as TRPCError).message).toBe("slug: this slug is taken: choose another");
    const org = await tdb.db.organization.findUniqueOrThrow({ where: { slug: "team-one" } });
    const events = await tdb.db.auditEvent.findMany({ where: { orgId: org.id } });
    expect(events.map((e) => e.action)).toEqual(["org.create"]);
  });

  it("invite mode: only platform admins create organisations; domains mode: the listed domains", async () => {
    const member = await createUser(tdb.db, "someone@x.test");
    const ops = await createUser(tdb.db, "ops@platform.test");
    const invite = { kind: "invite" } as const;
    const input = { name: "Collab", slug: "collab-x" };
    expect(
      await codeOf(
        createOrgHandler({
          ctx: { db: tdb.db, user: member },
          input,
          signup: invite,
          platformAdmins: "ops@platform.test",
        }),
      ),
    ).toBe("FORBIDDEN");
    expect(
      await codeOf(
        createOrgHandler({
          ctx: { db: tdb.db, user: ops },
          input,
          signup: invite,
          platformAdmins: "ops@platform.test",
        }),
      ),
    ).toBe("OK");
    const domains = { kind: "domains", domains: ["cern.ch"] } as const;
    expect(
      await codeOf(
        createOrgHandler({
          ctx: { db: tdb.db, user: member },
          input: { name: "D", slug: "d-org" },
          signup: domains,
          platformAdmins: undefined,
        }),
      ),
    ).toBe("FORBIDDEN");
  });
});

describe("renaming", () => {
  it("changes the name and the slug, audited; the old slug is 404 at once, a token keeps working; a taken slug is a CONFLICT", async () => {
    const s = await seedOrg(tdb.db, "ren");
    const taken = await seedOrg(tdb.db, "taken");
    const owner = callerFor(tdb.db, { userId: s.users.OWNER.id });
    const newSlug = `renamed-${s.org.slug}`;
    expect(await owner.org.rename({ org: s.org.slug, name: "Renamed Lab", slug: newSlug })).toEqual({
      slug: newSlug,
      name: "Renamed Lab",
    });
    expect(
      await tdb.db.organization.findUnique({ where: { id: s.org.id }, select: { slug: true, name: true } }),
    ).toEqual({ slug: newSlug, name: "Renamed Lab" });
    const events = await tdb.db.auditEvent.findMany({ where: { orgId: s.org.id, action: "org.rename" } });
    expect(events.map((e) => [e.actorId, e.target, e.data])).toEqual([
      [
        s.users.OWNER.id,
        s.org.id,
        { from: { name: s.org.name, slug: s.org.slug }, to: { name: "Renamed Lab", slug: newSlug } },
      ],
    ]);
    // The old slug is no organisation at all: NOT_FOUND for members, as for anyone.
    expect(await codeOf(owner.org.usage({ org: s.org.slug }))).toBe("NOT_FOUND");
    expect(await codeOf(owner.study.list({ org: s.org.slug }))).toBe("NOT_FOUND");
    expect(await codeOf(owner.study.list({ org: newSlug }))).toBe("OK");
    expect((await owner.org.mine()).find((o) => o.name === "Renamed Lab")?.slug).toBe(newSlug);
    // A token belongs to the organisation, not its slug.
    const t = await seedToken(tdb.db, {
      orgId: s.org.id,
      userId: s.users.VIEWER.id,
      scopes: ["studies:read"],
    });
    const viaToken = callerFor(tdb.db, {
      userId: s.users.VIEWER.id,
      scopes: ["studies:read"],
      orgId: s.org.id,
      tokenId: t.id,
    });
    expect(await codeOf(viaToken.study.list({ org: newSlug }))).toBe("OK");

    // A name alone keeps the slug; another organisation's slug is refused on the slug field.
    expect(await owner.org.rename({ org: newSlug, name: "Renamed Again" })).toEqual({
      slug: newSlug,
      name: "Renamed Again",
    });
    const conflict = await owner.org
      .rename({ org: newSlug, name: "Thief", slug: taken.org.slug })
      .catch((e: unknown) => e);
    expect((conflict as TRPCError).code).toBe("CONFLICT");
    expect((conflict as TRPCError).message).toContain("slug");
    expect((await tdb.db.organization.findUnique({ where: { id: s.org.id } }))?.slug).toBe(newSlug);
  });
});

describe("usage", () => {
  it("runner time: the finished trials' start-to-finish seconds, in the month they finished", async () => {
    const s = await seedOrg(tdb.db, "runner");
    const owner = callerFor(tdb.db, { userId: s.users.OWNER.id });
    const study = await owner.study.create({ org: s.org.slug, name: "timed", replicas: 2, trials: 1 });
    await tdb.db.trial.deleteMany({ where: { studyId: study.id } });
    const trial = (number: number, startedAt: string | null, finishedAt: string | null) =>
      tdb.db.trial.create({
        data: {
          orgId: s.org.id,
          studyId: study.id,
          number,
          params: {},
          state: finishedAt ? "COMPLETE" : "RUNNING",
          queuedAt: new Date("2026-05-01T00:00:00Z"),
          startedAt: startedAt ? new Date(startedAt) : null,
          finishedAt: finishedAt ? new Date(finishedAt) : null,
        },
      });
    await trial(0, "2026-06-10T10:00:00Z", "2026-06-10T10:02:05.5Z"); // 125.5 s in June
    await trial(1, "2026-05-31T23:59:00Z", "2026-06-01T00:01:00Z"); // 120 s, counted in June (finished)
    await trial(2, "2026-05-20T10:00:00Z", "2026-05-20T11:00:00Z"); // 3600 s in May
    await trial(3, "2026-06-14T09:00:00Z", null); // still running: no runner time yet
    await trial(4, "2026-04-30T22:00:00Z", "2026-04-30T23:00:00Z"); // before the two months asked
    const usage = await orgUsage(tdb.db, [s.org.id], 2, new Date("2026-06-15T12:00:00Z"));
    expect(usage.months.map((m) => [m.month, m.runnerSeconds, m.trials])).toEqual([
      ["2026-05", 3600, 5],
      ["2026-06", 245.5, 0],
    ]);
    // Another organisation's usage does not see them.
    const other = await seedOrg(tdb.db, "idle");
    const idle = await orgUsage(tdb.db, [other.org.id], 2, new Date("2026-06-15T12:00:00Z"));
    expect(idle.months.map((m) => m.runnerSeconds)).toEqual([0, 0]);
  });
});

describe("ownership and leaving", () => {
  it("transfer makes the member OWNER and the caller ADMIN; the last OWNER cannot leave, others can", async () => {
    const s = await seedOrg(tdb.db, "own");
    const orgDb = scopedDb(tdb.db, s.org.id);
    const owner = orgContext(tdb.db, s, "OWNER", orgDb);
    expect(await codeOf(leaveOrgHandler({ ctx: owner }))).toBe("BAD_REQUEST");
    await transferOwnershipHandler({ ctx: owner, input: { userId: s.users.MEMBER.id } });
    const roles = Object.fromEntries(
      (await orgDb.membership.findMany({ where: { orgId: s.org.id } })).map((m) => [m.userId, m.role]),
    );
    expect(roles[s.users.MEMBER.id]).toBe("OWNER");
    expect(roles[s.users.OWNER.id]).toBe("ADMIN");
    const { token } = await seedToken(tdb.db, {
      orgId: s.org.id,
      userId: s.users.VIEWER.id,
      scopes: ["studies:read"],
    });
    await leaveOrgHandler({ ctx: orgContext(tdb.db, s, "VIEWER", orgDb) });
    expect(await orgDb.membership.count({ where: { orgId: s.org.id, userId: s.users.VIEWER.id } })).toBe(0);
    const left = await orgDb.apiToken.findFirst({ where: { orgId: s.org.id, userId: s.users.VIEWER.id } });
    expect(left?.revokedAt).not.toBeNull();
    expect(token.startsWith("hens_")).toBe(true);
  });
});

describe("deleting an organisation", () => {
  it("cancels its studies, removes its data and members, keeps its audit log, releases the slug", async () => {
    const s = await seedOrg(tdb.db, "del");
    const other = await seedOrg(tdb.db, "keep");
    const owner = callerFor(tdb.db, { userId: s.users.OWNER.id });
    const study = await owner.study.create({ org: s.org.slug, name: "doomed", replicas: 2, trials: 2 });
    await callerFor(tdb.db, { userId: other.users.OWNER.id }).study.create({
      org: other.org.slug,
      name: "survivor",
      replicas: 2,
      trials: 1,
    });
    await tdb.db.dataset.create({
      data: { orgId: s.org.id, name: "d", kind: "tabular", nPoints: 1, summary: {}, data: { x: [1] } },
    });
    await tdb.db.comparison.create({
      data: { orgId: s.org.id, name: "saved", studyIds: [study.id], createdBy: s.users.OWNER.id },
    });
    const usage = await orgUsage(tdb.db, [s.org.id], 1);
    expect(usage.months[0]?.trials).toBe(2);
    expect(usage.storageBytes).toBeGreaterThan(0);

    const ownerCtx = orgContext(tdb.db, s, "OWNER", scopedDb(tdb.db, s.org.id));
    expect(await codeOf(deleteOrgHandler({ ctx: ownerCtx, input: { confirm: "wrong" } }))).toBe(
      "BAD_REQUEST",
    );
    const res = await deleteOrgHandler({ ctx: ownerCtx, input: { confirm: s.org.slug } });
    expect(res).toEqual({ deleted: true, studies: 1, datasets: 1 });
    const db = tdb.db;
    expect(await db.study.count({ where: { orgId: s.org.id } })).toBe(0);
    expect(await db.trial.count({ where: { orgId: s.org.id } })).toBe(0);
    expect(await db.dataset.count({ where: { orgId: s.org.id } })).toBe(0);
    expect(await db.comparison.count({ where: { orgId: s.org.id } })).toBe(0);
    expect(await db.membership.count({ where: { orgId: s.org.id } })).toBe(0);
    // The audit log survives, with the deletion in it (and the cancellation count).
    const events = await db.auditEvent.findMany({
      where: { orgId: s.org.id },
      orderBy: { createdAt: "asc" },
    });
    const deletion = events.find((e) => e.action === "org.delete");
    expect(deletion?.data).toMatchObject({ slug: s.org.slug, studiesCancelled: 1, studies: 1 });
    expect(events.some((e) => e.target === study.id || e.action.startsWith("study."))).toBe(true);
    // Former members see nothing; the slug is free for a new organisation.
    expect(await codeOf(owner.study.list({ org: s.org.slug }))).toBe("NOT_FOUND");
    expect(await owner.org.mine()).toEqual([]);
    const again = await createOrgHandler({
      ctx: { db, user: { id: s.users.OWNER.id } },
      input: { name: "Reborn", slug: s.org.slug },
      signup: { kind: "open" },
      platformAdmins: undefined,
    });
    expect(again.slug).toBe(s.org.slug);
    // Another organisation is untouched.
    expect(await db.study.count({ where: { orgId: other.org.id } })).toBe(1);
  });
});
