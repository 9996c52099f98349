// Sessions end when they should: sign-out (a copied cookie too, past the decode cache), sign out
// everywhere, a password change, deactivation; and the idle lifetime slides with use. Real Postgres,
// real next-auth cookies; only the clock is set by the test.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { hashPassword, verifyPassword } from "@hyperensemble/platform/password";
import { TRPCError } from "@trpc/server";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "../../env";
import { changePasswordHandler } from "../routers/account/password.handler";
import { signOutEverywhereHandler, updateProfileHandler } from "../routers/account/profile.handler";
import { setUserActiveHandler } from "../routers/admin/handlers";
import { createUser, seedOrg, seedToken } from "../routers/test-fixtures";
import { sessionUserId } from "./session";
import { endSession, startSession } from "./session-store";
import { authenticateToken, TokenRejection } from "./token";

const COOKIE = "authjs.session-token";
const HOUR = 3_600_000;
const policy = { idleMs: 24 * HOUR };
let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

/** Sign in as next-auth's jwt callback does (auth.ts): a session row, its id and version in the cookie. */
async function signIn(userId: string, now = new Date()) {
  const started = await startSession(tdb.db, userId, policy, now);
  if (!started) throw new Error("sign-in refused");
  const token = await encode({
    token: { sub: userId, sid: started.sid, sv: started.sv, email: "whatever@example.test" },
    secret: env.AUTH_SECRET,
    salt: COOKIE,
    maxAge: 7 * 86_400,
  });
  const cookie = `${COOKIE}=${token}`;
  return {
    sid: started.sid,
    request: () => new Request("http://hens.test/api/trpc/org.mine", { headers: { cookie } }),
  };
}

const who = (session: { request: () => Request }, now = Date.now()) =>
  sessionUserId(session.request(), now, tdb.db);

describe("browser sessions", () => {
  it("sign-out ends the session: the copied cookie is refused at once and 61 s later", async () => {
    const user = await createUser(tdb.db);
    const session = await signIn(user.id);
    const other = await signIn(user.id);
    expect(await who(session)).toBe(user.id);
    // The copy: the same cookie sent again after the browser signed out (next-auth's signOut event).
    await endSession(tdb.db, session.sid);
    expect(await who(session)).toBeNull();
    expect(await who(session, Date.now() + 61_000)).toBeNull();
    // Another device of the same user is not signed out by it.
    expect(await who(other)).toBe(user.id);
  });

  it("sign out everywhere ends every session of the user and no one else's", async () => {
    const s = await seedOrg(tdb.db, "everywhere");
    const laptop = await signIn(s.users.MEMBER.id);
    const phone = await signIn(s.users.MEMBER.id);
    const colleague = await signIn(s.users.ADMIN.id);
    await signOutEverywhereHandler({ ctx: { db: tdb.db, user: { id: s.users.MEMBER.id } } });
    expect(await who(laptop)).toBeNull();
    expect(await who(phone)).toBeNull();
    expect(await who(colleague)).toBe(s.users.ADMIN.id);
    await updateProfileHandler({
      ctx: { db: tdb.db, user: { id: s.users.MEMBER.id } },
      input: { name: "Renamed" },
    });
    const events = await tdb.db.auditEvent.findMany({
      where: { orgId: s.org.id },
      orderBy: { createdAt: "asc" },
    });
    expect(events.map((e) => [e.action, e.target])).toEqual([
      ["account.signout.everywhere", s.users.MEMBER.id],
      ["account.profile", s.users.MEMBER.id],
    ]);
    // Signing in again works.
    expect(await who(await signIn(s.users.MEMBER.id))).toBe(s.users.MEMBER.id);
  });

  it("a password change needs the current password and ends every session", async () => {
    const user = await tdb.db.user.create({
      data: { email: "change@example.test", passwordHash: await hashPassword("old password 1") },
    });
    const session = await signIn(user.id);
    const ctx = { db: tdb.db, user: { id: user.id } };
    const wrong = await changePasswordHandler({
      ctx,
      input: { currentPassword: "not it", newPassword: "new password 2" },
    }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(TRPCError);
    expect((wrong as TRPCError).message).toBe("currentPassword: the current password is wrong");
    expect(await who(session)).toBe(user.id);
    await changePasswordHandler({
      ctx,
      input: { currentPassword: "old password 1", newPassword: "new password 2" },
    });
    expect(await who(session)).toBeNull();
    const stored = await tdb.db.user.findUniqueOrThrow({
      where: { id: user.id },
      select: { passwordHash: true },
    });
    expect(await verifyPassword("new password 2", stored.passwordHash ?? "")).toBe(true);
    expect(await verifyPassword("old password 1", stored.passwordHash ?? "")).toBe(false);
  });

  it("a deactivated user is refused on the next request, sessions and API tokens alike; reactivated signs in again", async () => {
    const s = await seedOrg(tdb.db, "deact");
    const ops = await createUser(tdb.db, "ops-deact@platform.test");
    const session = await signIn(s.users.MEMBER.id);
    const { token } = await seedToken(tdb.db, {
      orgId: s.org.id,
      userId: s.users.MEMBER.id,
      scopes: ["studies:read"],
    });
    expect(await who(session)).toBe(s.users.MEMBER.id);
    expect((await authenticateToken(tdb.db, token)).userId).toBe(s.users.MEMBER.id);
    await setUserActiveHandler({
      ctx: { db: tdb.db, user: { id: ops.id } },
      input: { userId: s.users.MEMBER.id, active: false },
    });
    expect(await who(session)).toBeNull();
    await expect(authenticateToken(tdb.db, token)).rejects.toBeInstanceOf(TokenRejection);
    expect(await startSession(tdb.db, s.users.MEMBER.id, policy)).toBeNull();
    await setUserActiveHandler({
      ctx: { db: tdb.db, user: { id: ops.id } },
      input: { userId: s.users.MEMBER.id, active: true },
    });
    // The old session stays ended; a new sign-in and the token work again.
    expect(await who(session)).toBeNull();
    expect(await who(await signIn(s.users.MEMBER.id))).toBe(s.users.MEMBER.id);
    expect((await authenticateToken(tdb.db, token)).userId).toBe(s.users.MEMBER.id);
    const actions = (
      await tdb.db.auditEvent.findMany({ where: { orgId: s.org.id }, orderBy: { createdAt: "asc" } })
    ).map((e) => e.action);
    expect(actions).toEqual(["account.deactivate", "account.reactivate"]);
  });

  it("the idle lifetime slides with use and ends a session left unused", async () => {
    const user = await createUser(tdb.db);
    const t0 = new Date("2026-12-01T08:00:00Z").getTime();
    const session = await signIn(user.id, new Date(t0));
    // Used every 20 hours for three days: each use slides the end 24 hours on.
    for (let t = t0 + 20 * HOUR; t <= t0 + 80 * HOUR; t += 20 * HOUR) {
      expect(await who(session, t), `at +${(t - t0) / HOUR} h`).toBe(user.id);
    }
    // Then left alone for 25 hours: ended.
    expect(await who(session, t0 + 105 * HOUR)).toBeNull();
  });
});
