// Sign-up under each HENS_SIGNUP mode, and password reset by a single-use, expiring link.
// Real Postgres and the real outbox mailer (no SMTP in tests); the clock is passed in.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { hashPassword, verifyPassword } from "@hyperensemble/platform/password";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mailLimiter } from "../../accounts";
import { AccountRefused, credentialsAuthorizer, signInErrorMessage } from "../../auth/credentials";
import { oidcSignInAllowed } from "../../auth/oidc-signup";
import { startSession } from "../../auth/session-store";
import { PostgresTokenBuckets, SignInThrottle } from "../../auth/sign-in-throttle";
import { parseSignupMode, type SignupMode } from "../../auth/signup";
import { mailerFromEnv, outboxMailer } from "../../mail";
import { decodeQuotedPrintable, startTestSmtpServer } from "../../smtp.test-helpers";
import { createInvitationHandler } from "../invitation/create.handler";
import { orgContext, seedOrg } from "../test-fixtures";
import type { AccountDeps } from "./deps";
import { requestPasswordResetHandler, resetPasswordHandler, verifyEmailHandler } from "./password.handler";
import { signUpHandler } from "./signup.handler";

let tdb: TestDatabase;
const logged: string[] = [];
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

function deps(signup: SignupMode, verification: AccountDeps["verification"] = "optional"): AccountDeps {
  return {
    db: tdb.db,
    mailer: outboxMailer(tdb.db, (line) => logged.push(line)),
    baseUrl: "https://hens.example.org",
    signup,
    platformAdmins: "ops@platform.test",
    verification,
  };
}

async function codeOf(promise: Promise<unknown>) {
  try {
    await promise;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

/** The link token in the last mail to `to` (outbox), for the given path. */
async function mailedToken(to: string, path: string): Promise<string> {
  const mail = await tdb.db.mailOutbox.findFirst({ where: { to }, orderBy: { createdAt: "desc" } });
  const match = new RegExp(`https://hens\\.example\\.org/${path}/([A-Za-z0-9_-]{43})`).exec(mail?.text ?? "");
  if (!match?.[1]) throw new Error(`no ${path} link mailed to ${to}`);
  return match[1];
}

const person = (email: string) => ({ email, name: "A Person", password: "correct horse battery" });

describe("HENS_SIGNUP", () => {
  it("parses every mode and refuses anything else by name", () => {
    expect(parseSignupMode(undefined)).toEqual({ kind: "invite" });
    expect(parseSignupMode("open")).toEqual({ kind: "open" });
    expect(parseSignupMode("domains:cern.ch, @desy.de")).toEqual({
      kind: "domains",
      domains: ["cern.ch", "desy.de"],
    });
    expect(parseSignupMode("oidc-group:nnpdf")).toEqual({ kind: "oidc-group", group: "nnpdf" });
    expect(() => parseSignupMode("domains:")).toThrow(/HENS_SIGNUP/);
    expect(() => parseSignupMode("everyone")).toThrow(/HENS_SIGNUP must be open, invite/);
  });

  it("open: anyone signs up; the address is taken once; a verification link is mailed", async () => {
    const res = await signUpHandler({ deps: deps({ kind: "open" }), input: person("new@anywhere.test") });
    expect(res.verificationSent).toBe(true);
    expect(
      await codeOf(signUpHandler({ deps: deps({ kind: "open" }), input: person("new@anywhere.test") })),
    ).toBe("CONFLICT");
    const token = await mailedToken("new@anywhere.test", "verify");
    await verifyEmailHandler({ deps: { db: tdb.db }, input: { token } });
    const user = await tdb.db.user.findUniqueOrThrow({ where: { email: "new@anywhere.test" } });
    expect(user.emailVerified).not.toBeNull();
    // Without SMTP, the link went to the log as well.
    expect(logged.some((l) => l.includes(`/verify/${token}`))).toBe(true);
  });

  it("invite: refused without an invitation; the invited address (and a platform admin) get in", async () => {
    const invite: SignupMode = { kind: "invite" };
    expect(await codeOf(signUpHandler({ deps: deps(invite), input: person("stranger@x.test") }))).toBe(
      "FORBIDDEN",
    );
    const s = await seedOrg(tdb.db, "signup");
    const created = await createInvitationHandler({
      ctx: orgContext(tdb.db, s, "ADMIN", tdb.db),
      input: { email: "colleague@x.test", role: "MEMBER", expiresInDays: 7 },
    });
    // Another address cannot ride on the link.
    expect(
      await codeOf(
        signUpHandler({ deps: deps(invite), input: { ...person("other@x.test"), invite: created.token } }),
      ),
    ).toBe("FORBIDDEN");
    const res = await signUpHandler({
      deps: deps(invite),
      input: { ...person("colleague@x.test"), invite: created.token },
    });
    // Opening the mailed invitation proves the address: no separate verification.
    expect(res.verificationSent).toBe(false);
    expect((await signUpHandler({ deps: deps(invite), input: person("ops@platform.test") })).email).toBe(
      "ops@platform.test",
    );
  });

  it("domains: only the listed domains", async () => {
    const mode: SignupMode = { kind: "domains", domains: ["cern.ch"] };
    expect((await signUpHandler({ deps: deps(mode), input: person("a@cern.ch") })).email).toBe("a@cern.ch");
    expect(await codeOf(signUpHandler({ deps: deps(mode), input: person("a@evil-cern.ch") }))).toBe(
      "FORBIDDEN",
    );
  });

  it("oidc-group: no password sign-up; a provider's first sign-in needs the group claim", async () => {
    const mode: SignupMode = { kind: "oidc-group", group: "nnpdf" };
    expect(await codeOf(signUpHandler({ deps: deps(mode), input: person("p@lab.test") }))).toBe("FORBIDDEN");
    const oidc = (email: string, groups: unknown) =>
      oidcSignInAllowed(tdb.db, {
        email,
        profile: { groups },
        mode,
        groupClaim: "groups",
        platformAdmins: undefined,
      });
    expect(await oidc("member@lab.test", ["atlas", "nnpdf"])).toBe(true);
    expect(await oidc("member@lab.test", "nnpdf")).toBe(true);
    expect(await oidc("outsider@lab.test", ["atlas"])).toBe(false);
    // An existing user signs in through the provider whatever the claim, unless deactivated.
    await tdb.db.user.create({ data: { email: "known@lab.test" } });
    expect(await oidc("known@lab.test", [])).toBe(true);
    await tdb.db.user.update({ where: { email: "known@lab.test" }, data: { deactivatedAt: new Date() } });
    expect(await oidc("known@lab.test", ["nnpdf"])).toBe(false);
  });
});

describe("password reset", () => {
  it("the link works once, ends every session, and is refused after an hour", async () => {
    const t0 = new Date("2026-12-03T10:00:00Z");
    const user = await tdb.db.user.create({
      data: { email: "forgetful@x.test", passwordHash: await hashPassword("the old password") },
    });
    const session = await startSession(tdb.db, user.id, { idleMs: 86_400_000 }, t0);
    const d = deps({ kind: "open" });
    expect(
      await requestPasswordResetHandler({ deps: d, input: { email: "forgetful@x.test" }, now: t0 }),
    ).toEqual({
      sent: true,
    });
    const token = await mailedToken("forgetful@x.test", "reset");
    // The database keeps only the hash.
    expect(JSON.stringify(await tdb.db.accountToken.findMany())).not.toContain(token);

    const t1 = new Date(t0.getTime() + 59 * 60_000);
    await resetPasswordHandler({ deps: d, input: { token, newPassword: "a brand new password" }, now: t1 });
    const stored = await tdb.db.user.findUniqueOrThrow({
      where: { id: user.id },
      select: { passwordHash: true, sessionVersion: true },
    });
    expect(await verifyPassword("a brand new password", stored.passwordHash ?? "")).toBe(true);
    expect(stored.sessionVersion).toBe((session?.sv ?? 0) + 1);
    expect(await tdb.db.session.count({ where: { userId: user.id } })).toBe(0);
    // Used once: the same link again is refused.
    expect(
      await codeOf(
        resetPasswordHandler({ deps: d, input: { token, newPassword: "yet another password" }, now: t1 }),
      ),
    ).toBe("BAD_REQUEST");

    // A second link, used 61 minutes after it was sent: expired.
    await requestPasswordResetHandler({ deps: d, input: { email: "forgetful@x.test" }, now: t0 });
    const late = await mailedToken("forgetful@x.test", "reset");
    expect(late).not.toBe(token);
    const t2 = new Date(t0.getTime() + 61 * 60_000);
    expect(
      await codeOf(
        resetPasswordHandler({ deps: d, input: { token: late, newPassword: "too late password" }, now: t2 }),
      ),
    ).toBe("BAD_REQUEST");
    const after = await tdb.db.user.findUniqueOrThrow({
      where: { id: user.id },
      select: { passwordHash: true },
    });
    expect(await verifyPassword("a brand new password", after.passwordHash ?? "")).toBe(true);
  });

  it("an unknown address gets the same answer and no mail; a verification link is not a reset link", async () => {
    const d = deps({ kind: "open" });
    const before = await tdb.db.mailOutbox.count();
    expect(await requestPasswordResetHandler({ deps: d, input: { email: "nobody@x.test" } })).toEqual({
      sent: true,
    });
    expect(await tdb.db.mailOutbox.count()).toBe(before);
    await signUpHandler({ deps: d, input: person("verify-only@x.test") });
    const verifyToken = await mailedToken("verify-only@x.test", "verify");
    expect(
      await codeOf(
        resetPasswordHandler({ deps: d, input: { token: verifyToken, newPassword: "hijacked password" } }),
      ),
    ).toBe("BAD_REQUEST");
  });
});

describe("HENS_EMAIL_VERIFICATION=required", () => {
  it("an unverified user cannot sign in and is told to confirm; after the mailed link they can", async () => {
    const d = deps({ kind: "open" }, "required");
    expect((await signUpHandler({ deps: d, input: person("unverified@x.test") })).verificationSent).toBe(
      true,
    );
    const throttle = new SignInThrottle(new PostgresTokenBuckets(tdb.db), {
      accountAttempts: 100,
      accountRefillSeconds: 1,
      addressAttempts: 100,
      addressRefillSeconds: 1,
    });
    // What auth.ts builds: requireVerifiedEmail is HENS_EMAIL_VERIFICATION === "required".
    const authorize = (requireVerifiedEmail: boolean) =>
      credentialsAuthorizer({ db: tdb.db, throttle, trustedProxyHops: 0, requireVerifiedEmail });
    const request = new Request("http://localhost/api/auth/callback/credentials", { method: "POST" });
    const credentials = { email: "unverified@x.test", password: "correct horse battery" };

    const refused = await authorize(true)(credentials, request).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AccountRefused);
    // next-auth puts the code in the sign-in page's URL; the page says what to do.
    expect((refused as AccountRefused).code).toBe("unverified");
    expect(signInErrorMessage("CredentialsSignin", "unverified")).toBe(
      "Confirm your email address first: open the link we mailed you.",
    );
    // A wrong password is only wrong: the unverified state is told to the password's holder alone.
    expect(await authorize(true)({ ...credentials, password: "not the password" }, request)).toBeNull();
    // The same account under "optional" signs in unverified: the setting is what refuses.
    expect((await authorize(false)(credentials, request))?.email).toBe("unverified@x.test");

    const token = await mailedToken("unverified@x.test", "verify");
    await verifyEmailHandler({ deps: { db: tdb.db }, input: { token } });
    expect((await authorize(true)(credentials, request))?.email).toBe("unverified@x.test");
  });
});

describe("SMTP (HENS_SMTP_URL)", () => {
  it("a reset link goes over SMTP through nodemailer, from HENS_MAIL_FROM to the user, not to the outbox; the link works", async () => {
    const smtp = await startTestSmtpServer();
    try {
      await tdb.db.user.create({
        data: { email: "smtp-user@x.test", passwordHash: await hashPassword("the old password") },
      });
      const mailer = mailerFromEnv(tdb.db, {
        HENS_SMTP_URL: smtp.url,
        HENS_MAIL_FROM: "HyperEnsemble <no-reply@hens.test>",
      });
      const d = { ...deps({ kind: "open" }), mailer };
      const outbox = await tdb.db.mailOutbox.count();
      expect(await requestPasswordResetHandler({ deps: d, input: { email: "smtp-user@x.test" } })).toEqual({
        sent: true,
      });
      expect(smtp.received).toHaveLength(1);
      const mail = smtp.received[0]!;
      expect(mail.from).toBe("no-reply@hens.test");
      expect(mail.to).toEqual(["smtp-user@x.test"]);
      const split = mail.data.indexOf("\r\n\r\n");
      const headers = mail.data.slice(0, split);
      const body = mail.data.slice(split + 4);
      expect(headers).toMatch(/^From: HyperEnsemble <no-reply@hens\.test>$/m);
      expect(headers).toMatch(/^To: smtp-user@x\.test$/m);
      const text = /^Content-Transfer-Encoding: quoted-printable$/im.test(headers)
        ? decodeQuotedPrintable(body)
        : body;
      const token = /https:\/\/hens\.example\.org\/reset\/([A-Za-z0-9_-]{43})/.exec(text)?.[1];
      expect(token).toBeDefined();
      expect(await tdb.db.mailOutbox.count()).toBe(outbox);
      await resetPasswordHandler({ deps: d, input: { token: token!, newPassword: "a password by smtp" } });
      const user = await tdb.db.user.findUniqueOrThrow({
        where: { email: "smtp-user@x.test" },
        select: { passwordHash: true },
      });
      expect(await verifyPassword("a password by smtp", user.passwordHash ?? "")).toBe(true);
    } finally {
      await smtp.close();
    }
  });
});

describe("mail flooding", () => {
  it("reset requests and sign-ups take from the sign-in throttle's buckets: past them, TOO_MANY_REQUESTS and no mail", async () => {
    const throttle = new SignInThrottle(new PostgresTokenBuckets(tdb.db), {
      accountAttempts: 2,
      accountRefillSeconds: 3600,
      addressAttempts: 100,
      addressRefillSeconds: 1,
    });
    const d = { ...deps({ kind: "open" }), limitMail: mailLimiter(throttle, new Headers(), 0) };
    await tdb.db.user.create({ data: { email: "flooded@x.test" } });
    const before = await tdb.db.mailOutbox.count({ where: { to: "flooded@x.test" } });
    for (let i = 0; i < 2; i++)
      await requestPasswordResetHandler({ deps: d, input: { email: "flooded@x.test" } });
    expect(await codeOf(requestPasswordResetHandler({ deps: d, input: { email: "flooded@x.test" } }))).toBe(
      "TOO_MANY_REQUESTS",
    );
    expect(await tdb.db.mailOutbox.count({ where: { to: "flooded@x.test" } })).toBe(before + 2);
  });
});
