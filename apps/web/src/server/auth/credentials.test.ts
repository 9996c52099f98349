// Sign-in throttling on real Postgres: per account and per address, before the password hash runs.
import { createDb, type Db } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { hashPassword, verifyPassword } from "@hyperensemble/platform/password";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsAuthorizer, SignInThrottled, signInErrorMessage } from "./credentials";
import { clientAddress, PostgresTokenBuckets, type SignInLimits, SignInThrottle } from "./sign-in-throttle";

let tdb: TestDatabase;
let hash: string;
beforeAll(async () => {
  tdb = await createTestDatabase();
  hash = await hashPassword("right password");
});
afterAll(async () => {
  await tdb?.drop();
});

const LIMITS: SignInLimits = {
  accountAttempts: 10,
  accountRefillSeconds: 60,
  addressAttempts: 12,
  addressRefillSeconds: 6,
};

let seq = 0;
async function seedUser(): Promise<string> {
  const email = `throttle-${++seq}-${Date.now()}@example.test`;
  await tdb.db.user.create({ data: { email, name: "T", passwordHash: hash } });
  return email;
}

/** An authorizer on a fake clock that counts the password hashes it computes. */
function setup(limits: SignInLimits = LIMITS, db: Db = tdb.db) {
  const clock = { now: Date.UTC(2026, 11, 3, 12, 0, 0) };
  const hashes = { count: 0 };
  const authorize = credentialsAuthorizer({
    db,
    throttle: new SignInThrottle(new PostgresTokenBuckets(db), limits),
    trustedProxyHops: 1,
    verify: (password, stored) => {
      hashes.count++;
      return verifyPassword(password, stored);
    },
    now: () => clock.now,
  });
  return { clock, hashes, authorize };
}

const from = (address: string) =>
  new Request("http://localhost/api/auth/callback/credentials", {
    method: "POST",
    headers: { "x-forwarded-for": `203.0.113.250, ${address}` },
  });

/** "ok", "wrong" or "throttled <seconds to wait>" for one attempt. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    return (await p) ? "ok" : "wrong";
  } catch (err) {
    if (err instanceof SignInThrottled) return `throttled ${err.retryAfterSeconds}`;
    throw err;
  }
}

describe("sign-in throttle", { timeout: 120_000 }, () => {
  it("25 wrong passwords then the right one: refused while throttled, no hash computed; accepted after the window", async () => {
    const email = await seedUser();
    // A roomy address bucket: this test is about the account's.
    const { clock, hashes, authorize } = setup({ ...LIMITS, addressAttempts: 100 });
    const results: string[] = [];
    for (let i = 0; i < 25; i++) {
      results.push(await outcome(authorize({ email, password: `guess ${i}` }, from("198.51.100.1"))));
      clock.now += 100;
    }
    expect(results.slice(0, 10)).toEqual(Array(10).fill("wrong"));
    expect(results.slice(10).every((r) => r.startsWith("throttled "))).toBe(true);
    expect(hashes.count).toBe(10);

    // The right password while throttled: refused before any hash, with the time to wait.
    const refused = await outcome(authorize({ email, password: "right password" }, from("198.51.100.1")));
    expect(refused).toMatch(/^throttled \d+$/);
    expect(hashes.count).toBe(10);
    const waitSeconds = Number(refused.split(" ")[1]);
    expect(waitSeconds).toBeGreaterThan(0);
    expect(waitSeconds).toBeLessThanOrEqual(LIMITS.accountRefillSeconds);

    clock.now += waitSeconds * 1000;
    expect(await outcome(authorize({ email, password: "right password" }, from("198.51.100.1")))).toBe("ok");
    expect(hashes.count).toBe(11);
  });

  it("another account from the same address is limited by the per-address bucket", async () => {
    const [a, b] = [await seedUser(), await seedUser()];
    const { clock, hashes, authorize } = setup();
    for (let i = 0; i < 10; i++)
      await outcome(authorize({ email: a, password: "nope" }, from("198.51.100.2")));
    // 10 of the address's 12 attempts are spent: two more for another account, then refused.
    expect(await outcome(authorize({ email: b, password: "nope" }, from("198.51.100.2")))).toBe("wrong");
    expect(await outcome(authorize({ email: b, password: "nope" }, from("198.51.100.2")))).toBe("wrong");
    expect(hashes.count).toBe(12);
    expect(await outcome(authorize({ email: b, password: "right password" }, from("198.51.100.2")))).toBe(
      "throttled 6",
    );
    expect(hashes.count).toBe(12);
    // The account itself is fine: from another address it signs in.
    expect(await outcome(authorize({ email: b, password: "right password" }, from("198.51.100.3")))).toBe(
      "ok",
    );
    // And the address regains one attempt per refill period.
    clock.now += LIMITS.addressRefillSeconds * 1000;
    expect(await outcome(authorize({ email: b, password: "right password" }, from("198.51.100.2")))).toBe(
      "ok",
    );
  });

  it("unknown accounts are counted too (the throttle does not tell which emails exist)", async () => {
    const { hashes, authorize } = setup({ ...LIMITS, accountAttempts: 2 });
    const ghost = `nobody-${Date.now()}@example.test`;
    expect(await outcome(authorize({ email: ghost, password: "x" }, from("198.51.100.4")))).toBe("wrong");
    expect(await outcome(authorize({ email: ghost, password: "x" }, from("198.51.100.5")))).toBe("wrong");
    expect(await outcome(authorize({ email: ghost, password: "x" }, from("198.51.100.6")))).toMatch(
      /^throttled/,
    );
    expect(hashes.count).toBe(0);
  });

  it("web replicas share the buckets: two processes' clients together get the account's attempts once", async () => {
    const email = await seedUser();
    const other = createDb(tdb.url, { max: 5 });
    try {
      const one = setup(LIMITS, tdb.db);
      const two = setup(LIMITS, other);
      // Concurrent attempts through both "replicas" at the same instant: row locks serialise them.
      const attempts = Array.from({ length: 16 }, (_, i) =>
        outcome((i % 2 ? one : two).authorize({ email, password: "nope" }, from(`198.51.100.${10 + i}`))),
      );
      const results = await Promise.all(attempts);
      expect(results.filter((r) => r === "wrong")).toHaveLength(LIMITS.accountAttempts);
      expect(one.hashes.count + two.hashes.count).toBe(LIMITS.accountAttempts);
    } finally {
      await other.$disconnect();
    }
  });

  it("sweeps buckets that are full again, so a spray of addresses does not grow the table", async () => {
    const buckets = new PostgresTokenBuckets(tdb.db, 0);
    const rates = { capacity: 3, refillPerSecond: 1 };
    const t0 = Date.UTC(2027, 0, 1);
    await buckets.take("address:sweep-a", t0, rates);
    await buckets.take("address:sweep-b", t0, rates);
    const keys = async () =>
      (await tdb.db.signInBucket.findMany({ where: { key: { startsWith: "address:sweep-" } } })).map(
        (r) => r.key,
      );
    expect((await keys()).sort()).toEqual(["address:sweep-a", "address:sweep-b"]);
    // One token missing refills in 1 s: two seconds later both rows are stale; a take sweeps them.
    await buckets.take("address:sweep-c", t0 + 2_000, rates);
    expect(await keys()).toEqual(["address:sweep-c"]);
  });
});

describe("clientAddress", () => {
  const h = (xff?: string) => new Headers(xff === undefined ? {} : { "x-forwarded-for": xff });
  it("takes the entry the trusted proxies vouch for", () => {
    expect(clientAddress(h("198.51.100.7"), 0)).toBe("198.51.100.7");
    // exposed directly: the rightmost entry (what Next.js sets from the socket when none is sent)
    expect(clientAddress(h("10.0.0.1, 198.51.100.7"), 0)).toBe("198.51.100.7");
    // one proxy appends the peer it saw: anything left of it is the client's own claim
    expect(clientAddress(h("1.2.3.4, 198.51.100.8"), 1)).toBe("198.51.100.8");
    expect(clientAddress(h("1.2.3.4, 198.51.100.9, 10.0.0.2"), 2)).toBe("198.51.100.9");
    // fewer entries than hops: the leftmost
    expect(clientAddress(h("198.51.100.10"), 3)).toBe("198.51.100.10");
  });
  it("normalises: ports, brackets, IPv4-mapped IPv6, /64 for IPv6, one bucket for non-addresses", () => {
    expect(clientAddress(h("198.51.100.11:5123"), 0)).toBe("198.51.100.11");
    expect(clientAddress(h("::ffff:198.51.100.12"), 0)).toBe("198.51.100.12");
    expect(clientAddress(h("2001:db8:1:2:aaaa::1"), 0)).toBe("2001:db8:1:2/64");
    expect(clientAddress(h("[2001:db8:1:2:bbbb:cccc:dddd:eeee]:443"), 0)).toBe("2001:db8:1:2/64");
    expect(clientAddress(h("2001:db8::1"), 0)).toBe("2001:db8:0:0/64");
    expect(clientAddress(h("::1"), 0)).toBe("0:0:0:0/64");
    expect(clientAddress(h("not-an-ip"), 0)).toBe("unknown");
    expect(clientAddress(h(), 0)).toBe("unknown");
  });
});

describe("signInErrorMessage", () => {
  it("tells a throttled user how long to wait; other errors stay generic", () => {
    expect(signInErrorMessage("CredentialsSignin", "throttled-42")).toBe(
      "Too many sign-in attempts. Wait 42 seconds and try again.",
    );
    expect(signInErrorMessage("CredentialsSignin", "throttled-600")).toBe(
      "Too many sign-in attempts. Wait 10 minutes and try again.",
    );
    expect(signInErrorMessage("CredentialsSignin", "credentials")).toBe("Wrong email or password.");
    expect(signInErrorMessage("credentials", undefined)).toBe("Wrong email or password.");
    expect(signInErrorMessage(undefined, undefined)).toBeNull();
  });
});
