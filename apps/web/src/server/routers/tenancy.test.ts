// Every tRPC procedure, for every role, against another org: nothing leaks. The procedure list is
// read from the router itself, so a procedure added without an org check (or without an entry in
// CROSS_TENANT_INPUT below) fails this test.
import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiToken, TOKEN_SCOPES } from "../auth/token";
import type { Principal } from "../trpc";
import { appRouter } from "./_app";
import { callerFor, ROLES, type SeededOrg, seedOrg, seedToken } from "./test-fixtures";

/** Procedures that are not org procedures, each with the reason it is safe. */
const NOT_ORG_SCOPED: Record<string, string> = {
  "org.mine": "lists only the caller's own memberships",
  "org.create": "creates a new org with the caller as OWNER (HENS_SIGNUP decides who may)",
  "account.signUp": "public: creates an account, never touches an org",
  "account.requestPasswordReset": "public: mails the address's owner, answers the same for any address",
  "account.resetPassword": "public: the single-use mailed link is the capability",
  "account.verifyEmail": "public: the single-use mailed link is the capability",
  "account.me": "the caller's own account",
  "account.updateProfile": "the caller's own account",
  "account.changePassword": "the caller's own account, current password required",
  "account.signOutEverywhere": "the caller's own sessions",
  "admin.orgs": "platform admins only (walked below)",
  "admin.users": "platform admins only (walked below)",
  "admin.setUserActive": "platform admins only (walked below)",
  "admin.orgLimits": "platform admins only (walked below)",
  "admin.setOrgLimits": "platform admins only (walked below)",
  "admin.usage": "platform admins only (walked below)",
  "admin.outbox": "platform admins only (walked below)",
  "invitation.preview": "the secret invitation link is the capability",
  "invitation.accept": "the secret link plus the signed-in user's matching email",
};

/** Mutations a VIEWER may call: managing their own API tokens (never beyond their role). */
// fit.evaluate reads (a POST because its input is a body of rows); a viewer may export, so may evaluate.
const VIEWER_MUTATIONS = new Set(["token.create", "token.revoke", "org.leave", "fit.evaluate"]);

let tdb: TestDatabase;
let a: SeededOrg;
let b: SeededOrg;
const secretsOfB = {} as {
  studyId: string;
  trialId: string;
  datasetId: string;
  tokenId: string;
  invitationId: string;
  auditId: string;
  webhookId: string;
  fitId: string;
  studyName: string;
  datasetName: string;
  comparisonId: string;
  comparisonName: string;
  studyTag: string;
};

type Procedure = { _def: { type: "query" | "mutation" | "subscription" } };
const procedures = Object.entries(
  (appRouter._def as unknown as { procedures: Record<string, Procedure> }).procedures,
);

/** Inputs naming org A but B's rows: a member of A must not reach them through A. */
function crossTenantInput(path: string, orgSlug: string): unknown {
  const ids = secretsOfB;
  const byProcedure: Record<string, unknown> = {
    "study.list": {},
    "study.get": { studyId: ids.studyId },
    "study.create": { name: "tenancy-probe", replicas: 2, trials: 1 },
    "study.onChange": { studyId: ids.studyId },
    "study.overview": { studyId: ids.studyId },
    "study.trials": { studyId: ids.studyId },
    "study.trial": { studyId: ids.studyId, number: 0 },
    "study.plots": { studyId: ids.studyId },
    "views.timeline": { studyId: ids.studyId },
    "study.compare": { studyIds: [ids.studyId, ids.studyId] },
    "study.pause": { studyId: ids.studyId },
    "study.resume": { studyId: ids.studyId },
    "study.cancel": { studyId: ids.studyId },
    "study.addTrials": { studyId: ids.studyId, count: 5 },
    "study.rerunFailed": { studyId: ids.studyId },
    "study.clone": { studyId: ids.studyId, name: "stolen" },
    "study.delete": { studyId: ids.studyId },
    "study.enqueue": { studyId: ids.studyId, configurations: [{ lr: 0.02 }] },
    "trial.list": { studyId: ids.studyId },
    "export.studyCsv": { studyId: ids.studyId },
    "export.studyJson": { studyId: ids.studyId },
    "export.studyOptuna": { studyId: ids.studyId },
    "dataset.list": {},
    "dataset.get": { datasetId: ids.datasetId },
    "dataset.upload": { format: "json", name: ids.datasetName, data: { subsets: [] } },
    // The REST theory route asks this before reading its body (the files variant needs bytes).
    "dataset.uploadTheoryFiles": { authorizeOnly: true },
    "dataset.delete": { datasetId: ids.datasetId },
    "token.list": {},
    "token.create": { name: "probe", scopes: ["studies:read"] },
    "token.revoke": { tokenId: ids.tokenId },
    "member.list": {},
    "member.updateRole": { userId: b.users.OWNER.id, role: "VIEWER" },
    "member.remove": { userId: b.users.OWNER.id },
    "invitation.list": {},
    "invitation.create": { email: "probe@example.test", role: "MEMBER" },
    "invitation.revoke": { invitationId: ids.invitationId },
    "audit.list": {},
    "runner.list": {},
    "event.streamScope": { studyId: ids.studyId },
    "webhook.list": {},
    "webhook.create": { url: "https://hooks.example.test/x" },
    "webhook.delete": { webhookId: ids.webhookId },
    "webhook.deliveries": { webhookId: ids.webhookId },
    "org.rename": { name: "renamed by a probe" },
    "org.transferOwnership": { userId: b.users.OWNER.id },
    "org.leave": {},
    "org.delete": { confirm: b.org.slug },
    "org.usage": {},
    "runner.queue": {},
    "external.ask": { studyId: ids.studyId },
    "external.heartbeat": { trialId: ids.trialId, leaseId: "lease" },
    "external.report": { trialId: ids.trialId, leaseId: "lease", step: 1, value: 1 },
    "external.tell": { trialId: ids.trialId, leaseId: "lease", state: "COMPLETE", values: [1] },
    "external.points": { studyId: ids.studyId, trialId: ids.trialId },
    "fit.create": { studyId: ids.studyId, replicas: 2 },
    "fit.get": { fitId: ids.fitId },
    "fit.list": { studyId: ids.studyId },
    "fit.export": { fitId: ids.fitId, format: "json" },
    "fit.evaluate": { fitId: ids.fitId, rows: [[0.1, -2.3]] },
    "team.tagStudy": { studyId: ids.studyId, add: ["probe"] },
    "team.noteStudy": { studyId: ids.studyId, note: "probe" },
    "team.archiveStudy": { studyId: ids.studyId, archived: true },
    "team.tagTrial": { studyId: ids.studyId, number: 0, remove: [ids.studyTag] },
    "team.noteTrial": { studyId: ids.studyId, number: 0, note: null },
    "team.studyTags": {},
    "comparison.list": {},
    "comparison.get": { comparisonId: ids.comparisonId },
    "comparison.create": { name: "probe", studyIds: [ids.studyId, `${ids.studyId}-2`] },
    "comparison.delete": { comparisonId: ids.comparisonId },
    "fit.bands": { fitId: ids.fitId },
    "fit.compare": { a: ids.fitId, b: ids.fitId },
  };
  if (!(path in byProcedure)) throw new Error(`add ${path} to crossTenantInput (tenancy.test.ts)`);
  return { ...(byProcedure[path] as object), org: orgSlug };
}

/** org.leave succeeds for A's members in the walk: put A back as seeded so the walk goes on. */
async function restoreMembersOfA() {
  for (const role of ROLES) {
    await tdb.db.membership.upsert({
      where: { orgId_userId: { orgId: a.org.id, userId: a.users[role].id } },
      create: { orgId: a.org.id, userId: a.users[role].id, role },
      update: { role },
    });
  }
}

async function call(principal: Principal | null, path: string, input: unknown): Promise<unknown> {
  let target: unknown = callerFor(tdb.db, principal);
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  const result = await (target as (i: unknown) => Promise<unknown>)(input).finally(async () => {
    if (path === "org.leave") await restoreMembersOfA();
  });
  if (result && typeof result === "object" && Symbol.asyncIterator in result) {
    // A subscription: its checks run when it starts; read one event (or time out as "no data").
    const iterator = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const first = await Promise.race([
      iterator.next(),
      new Promise<"idle">((resolve) => setTimeout(() => resolve("idle"), 300)),
    ]);
    await iterator.return?.();
    return first;
  }
  return result;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  a = await seedOrg(tdb.db, "a");
  b = await seedOrg(tdb.db, "b");
  const db = tdb.db;
  const study = await db.study.create({
    data: {
      orgId: b.org.id,
      ownerId: b.users.OWNER.id,
      name: `secret-study-${b.org.slug}`,
      task: { kind: "closure", level: 2 },
      searchSpace: { lr: { type: "float", low: 0.001, high: 0.1, log: true } },
      ensemble: { replicas: 2 },
      training: {},
      seed: 1,
      maxTrials: 1,
      tags: [`secret-tag-${b.org.slug}`],
      note: "secret note of B",
    },
  });
  const trial = await db.trial.create({
    data: {
      orgId: b.org.id,
      studyId: study.id,
      number: 0,
      params: { lr: 0.01 },
      tags: [`secret-tag-${b.org.slug}`],
      note: "secret trial note of B",
    },
  });
  const comparison = await db.comparison.create({
    data: {
      orgId: b.org.id,
      name: `secret-comparison-${b.org.slug}`,
      studyIds: [study.id, study.id],
      createdBy: b.users.OWNER.id,
    },
  });
  const dataset = await db.dataset.create({
    data: {
      orgId: b.org.id,
      name: `secret-data-${b.org.slug}`,
      kind: "tabular",
      nPoints: 1,
      summary: {},
      data: {},
    },
  });
  const token = await seedToken(db, { orgId: b.org.id, userId: b.users.OWNER.id, scopes: ["studies:read"] });
  const invitation = await db.invitation.create({
    data: {
      orgId: b.org.id,
      email: "invitee@b.test",
      role: "MEMBER",
      tokenHash: generateApiToken().tokenHash,
      invitedBy: b.users.OWNER.id,
      expiresAt: new Date(Date.now() + 86_400_000),
    },
  });
  const audit = await db.auditEvent.create({
    data: { orgId: b.org.id, action: "secret.action", target: "x" },
  });
  const webhook = await db.webhook.create({
    data: {
      orgId: b.org.id,
      url: "https://hooks.b.test/secret",
      secret: "whsec_b",
      createdBy: b.users.OWNER.id,
      cursor: 0n,
    },
  });
  const fit = await db.fit.create({
    data: {
      orgId: b.org.id,
      studyId: study.id,
      ownerId: b.users.OWNER.id,
      trialNumber: 0,
      params: {},
      replicas: 2,
      postfitRule: {},
    },
  });
  Object.assign(secretsOfB, {
    comparisonId: comparison.id,
    comparisonName: comparison.name,
    studyTag: `secret-tag-${b.org.slug}`,
    webhookId: webhook.id,
    fitId: fit.id,
    studyId: study.id,
    trialId: trial.id,
    datasetId: dataset.id,
    tokenId: token.id,
    invitationId: invitation.id,
    auditId: audit.id,
    studyName: study.name,
    datasetName: dataset.name,
  });
});

afterAll(async () => {
  await tdb?.drop();
});

describe("every procedure", () => {
  const orgProcedures = procedures.filter(([path]) => !(path in NOT_ORG_SCOPED));

  it("is listed (sanity: the router walk sees the procedures)", () => {
    expect(procedures.length).toBeGreaterThan(15);
    expect(orgProcedures.length).toBeGreaterThan(10);
  });

  it.each(orgProcedures.map(([path]) => path))("%s: a non-member of the org gets NOT_FOUND", async (path) => {
    for (const role of ROLES) {
      const principal = { userId: a.users[role].id };
      expect(await codeOf(call(principal, path, crossTenantInput(path, b.org.slug))), `${role} of A`).toBe(
        "NOT_FOUND",
      );
    }
    // A missing org reads exactly the same.
    expect(
      await codeOf(call({ userId: a.users.OWNER.id }, path, crossTenantInput(path, "no-such-org"))),
    ).toBe("NOT_FOUND");
    // Signed out: UNAUTHORIZED before anything is looked up.
    expect(await codeOf(call(null, path, crossTenantInput(path, b.org.slug)))).toBe("UNAUTHORIZED");
  });

  it.each(orgProcedures.map(([path]) => path))(
    "%s: a token of one org is refused in another, even for a member of both",
    async (path) => {
      // B's OWNER joins A as MEMBER and holds a full-scope token for A.
      const both = b.users.ADMIN;
      await tdb.db.membership.upsert({
        where: { orgId_userId: { orgId: a.org.id, userId: both.id } },
        create: { orgId: a.org.id, userId: both.id, role: "MEMBER" },
        update: {},
      });
      const principal: Principal = {
        userId: both.id,
        orgId: a.org.id,
        tokenId: "t",
        scopes: [...TOKEN_SCOPES],
      };
      expect(await codeOf(call(principal, path, crossTenantInput(path, b.org.slug)))).toBe("NOT_FOUND");
    },
  );

  it.each(orgProcedures.filter(([, p]) => p._def.type === "mutation").map(([path]) => path))(
    "%s: a VIEWER cannot write",
    async (path) => {
      const code = await codeOf(
        call({ userId: a.users.VIEWER.id }, path, crossTenantInput(path, a.org.slug)),
      );
      if (VIEWER_MUTATIONS.has(path)) expect(code).not.toBe("FORBIDDEN");
      else expect(code).toBe("FORBIDDEN");
    },
  );

  it.each(orgProcedures.map(([path]) => path))(
    "%s: every role of A, naming B's ids through A, sees none of B's rows",
    async (path) => {
      for (const role of ROLES) {
        const outcome = await call(
          { userId: a.users[role].id },
          path,
          crossTenantInput(path, a.org.slug),
        ).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        if ("error" in outcome) {
          expect(outcome.error, `${path} as ${role}`).toBeInstanceOf(TRPCError);
          expect(["NOT_FOUND", "FORBIDDEN", "BAD_REQUEST", "CONFLICT"]).toContain(
            (outcome.error as TRPCError).code,
          );
        } else {
          const text = JSON.stringify(outcome.value) ?? "";
          for (const [key, secret] of Object.entries(secretsOfB)) {
            expect(text.includes(secret), `${path} as ${role} leaked B's ${key}`).toBe(false);
          }
        }
      }
    },
  );

  it("left B's rows untouched", async () => {
    const db = scopedDb(tdb.db, b.org.id);
    const studies = await db.study.findMany({ where: { orgId: b.org.id } });
    expect(studies.map((st) => [st.id, st.state, st.maxTrials])).toEqual([[secretsOfB.studyId, "QUEUED", 1]]);
    expect(studies.map((st) => [st.tags, st.note, st.archivedAt])).toEqual([
      [[secretsOfB.studyTag], "secret note of B", null],
    ]);
    const trials = await db.trial.findMany({ where: { orgId: b.org.id } });
    expect(trials.map((t) => [t.tags, t.note])).toEqual([[[secretsOfB.studyTag], "secret trial note of B"]]);
    expect(await db.comparison.count({ where: { orgId: b.org.id } })).toBe(1);
    expect(await db.trial.count({ where: { orgId: b.org.id } })).toBe(1);
    expect(await db.dataset.count({ where: { orgId: b.org.id } })).toBe(1);
    const token = await db.apiToken.findFirst({ where: { id: secretsOfB.tokenId } });
    expect(token?.revokedAt).toBeNull();
    const owner = await db.membership.findFirst({ where: { userId: b.users.OWNER.id } });
    expect(owner?.role).toBe("OWNER");
    expect(await db.invitation.count({ where: { orgId: b.org.id } })).toBe(1);
    expect(await db.fit.count({ where: { orgId: b.org.id } })).toBe(1);
  });
});

describe("API token scopes", () => {
  it("a token without the scope is FORBIDDEN, and never exceeds its creator's role", async () => {
    const readOnly: Principal = {
      userId: a.users.OWNER.id,
      orgId: a.org.id,
      tokenId: "t",
      scopes: ["studies:read"],
    };
    expect(await codeOf(call(readOnly, "study.list", { org: a.org.slug }))).toBe("OK");
    expect(
      await codeOf(call(readOnly, "study.create", { org: a.org.slug, name: "x", replicas: 2, trials: 1 })),
    ).toBe("FORBIDDEN");
    expect(await codeOf(call(readOnly, "export.studyCsv", { org: a.org.slug, studyId: "x" }))).toBe(
      "FORBIDDEN",
    );
    // Full scopes on a VIEWER's token: the role still decides.
    const viewerToken: Principal = {
      userId: a.users.VIEWER.id,
      orgId: a.org.id,
      tokenId: "t",
      scopes: ["studies:read", "studies:write", "datasets:write"],
    };
    expect(
      await codeOf(call(viewerToken, "study.create", { org: a.org.slug, name: "x", replicas: 2, trials: 1 })),
    ).toBe("FORBIDDEN");
    // Tokens cannot manage tokens, members or invitations, nor read the audit log, whatever their scopes.
    const ownerToken: Principal = { ...viewerToken, userId: a.users.OWNER.id, scopes: [...TOKEN_SCOPES] };
    for (const path of ["token.list", "invitation.list", "audit.list"]) {
      expect(await codeOf(call(ownerToken, path, { org: a.org.slug })), path).toBe("FORBIDDEN");
    }
    const member = a.users.MEMBER.id;
    expect(
      await codeOf(
        call(ownerToken, "member.updateRole", { org: a.org.slug, userId: member, role: "VIEWER" }),
      ),
    ).toBe("FORBIDDEN");
    expect(await codeOf(call(ownerToken, "member.remove", { org: a.org.slug, userId: member }))).toBe(
      "FORBIDDEN",
    );
  });

  it("members are read with members:read alone (a VIEWER's token too); studies:read does not show them", async () => {
    const token = (scopes: string[]): Principal => ({
      userId: a.users.VIEWER.id,
      orgId: a.org.id,
      tokenId: "t",
      scopes,
    });
    const allButMembers = TOKEN_SCOPES.filter((s) => s !== "members:read");
    expect(await codeOf(call(token(allButMembers), "member.list", { org: a.org.slug }))).toBe("FORBIDDEN");
    expect(await codeOf(call(token(["members:read"]), "member.list", { org: a.org.slug }))).toBe("OK");
    // members:read reads nothing else.
    expect(await codeOf(call(token(["members:read"]), "study.list", { org: a.org.slug }))).toBe("FORBIDDEN");
    expect(await codeOf(call(token(["members:read"]), "org.usage", { org: a.org.slug }))).toBe("FORBIDDEN");
  });
});

describe("platform admin procedures (HENS_PLATFORM_ADMINS only)", () => {
  const adminPaths = procedures.map(([path]) => path).filter((path) => path.startsWith("admin."));
  function adminInput(path: string): unknown {
    const byProcedure: Record<string, unknown> = {
      "admin.orgs": {},
      "admin.users": {},
      "admin.setUserActive": { userId: b.users.MEMBER.id, active: false },
      "admin.orgLimits": { orgSlug: b.org.slug },
      "admin.setOrgLimits": { orgSlug: b.org.slug, limits: { maxParallelism: 1 } },
      "admin.usage": {},
      "admin.outbox": {},
    };
    if (!(path in byProcedure)) throw new Error(`add ${path} to adminInput (tenancy.test.ts)`);
    return byProcedure[path];
  }

  it("are listed", () => {
    expect(adminPaths.length).toBe(7);
  });

  it.each(adminPaths)("%s: FORBIDDEN for every role of every org and for API tokens", async (path) => {
    for (const org of [a, b]) {
      for (const role of ROLES) {
        expect(await codeOf(call({ userId: org.users[role].id }, path, adminInput(path))), role).toBe(
          "FORBIDDEN",
        );
        const token: Principal = {
          userId: org.users[role].id,
          orgId: org.org.id,
          tokenId: "t",
          scopes: [...TOKEN_SCOPES],
        };
        expect(await codeOf(call(token, path, adminInput(path))), `${role} token`).toBe("FORBIDDEN");
      }
    }
    expect(await codeOf(call(null, path, adminInput(path)))).toBe("UNAUTHORIZED");
    // Nothing changed: B's member active, B's limits untouched.
    const member = await tdb.db.user.findUnique({ where: { id: b.users.MEMBER.id } });
    expect(member?.deactivatedAt).toBeNull();
    expect(await tdb.db.orgLimits.count({ where: { orgId: b.org.id } })).toBe(0);
  });
});

describe("account procedures", () => {
  it.each([
    "account.me",
    "account.signOutEverywhere",
    "account.changePassword",
    "account.updateProfile",
    "org.create",
  ])("%s: for a person in the browser, never an API token; UNAUTHORIZED signed out", async (path) => {
    const input =
      path === "account.changePassword"
        ? { currentPassword: "x", newPassword: "long-enough-password" }
        : path === "account.updateProfile"
          ? { name: "probe" }
          : path === "org.create"
            ? { name: "Probe", slug: "token-probe" }
            : undefined;
    const token: Principal = {
      userId: a.users.OWNER.id,
      orgId: a.org.id,
      tokenId: "t",
      scopes: ["studies:read"],
    };
    expect(await codeOf(call(token, path, input))).toBe("FORBIDDEN");
    expect(await codeOf(call(null, path, input))).toBe("UNAUTHORIZED");
  });

  it("org management: rename, transfer and delete are the OWNER's; tokens never leave, rename or delete", async () => {
    for (const role of ["ADMIN", "MEMBER", "VIEWER"] as const) {
      const principal = { userId: a.users[role].id };
      expect(await codeOf(call(principal, "org.rename", { org: a.org.slug, name: "x y" })), role).toBe(
        "FORBIDDEN",
      );
      expect(
        await codeOf(call(principal, "org.delete", { org: a.org.slug, confirm: a.org.slug })),
        role,
      ).toBe("FORBIDDEN");
      expect(
        await codeOf(
          call(principal, "org.transferOwnership", { org: a.org.slug, userId: a.users.VIEWER.id }),
        ),
        role,
      ).toBe("FORBIDDEN");
    }
    const ownerToken: Principal = {
      userId: a.users.OWNER.id,
      orgId: a.org.id,
      tokenId: "t",
      scopes: [...TOKEN_SCOPES],
    };
    for (const [path, input] of [
      ["org.leave", {}],
      ["org.rename", { name: "by token" }],
      ["org.delete", { confirm: a.org.slug }],
    ] as const) {
      expect(await codeOf(call(ownerToken, path, { ...input, org: a.org.slug })), path).toBe("FORBIDDEN");
    }
    expect(await codeOf(call(ownerToken, "org.usage", { org: a.org.slug }))).toBe("OK");
  });
});
