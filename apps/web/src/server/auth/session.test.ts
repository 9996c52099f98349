import { Auth, type AuthConfig } from "@auth/core";
import Credentials from "@auth/core/providers/credentials";
import { encode } from "next-auth/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { env } from "../../env";
import { decodeSessionCookie, sessionCookieOptions } from "./session";

const COOKIE = "authjs.session-token";

async function cookieFor(sub: string, maxAge: number, name = COOKIE, secret = env.AUTH_SECRET) {
  const token = await encode({ token: { sub, sid: `sid-${sub}`, sv: 0 }, secret, salt: name, maxAge });
  return `${name}=${token}`;
}

const req = (cookie?: string) =>
  new Request("http://localhost/api/trpc/org.mine", cookie ? { headers: { cookie } } : {});

afterEach(() => {
  vi.useRealTimers();
});

/** The decoding half of sessionUserId (whether the session still holds: session-store.test.ts). */
const sessionUserId = async (r: Request, now?: number) => (await decodeSessionCookie(r, now))?.sub ?? null;

describe("decodeSessionCookie", () => {
  it("reads the user from next-auth's session cookie, plain or __Secure-", async () => {
    expect(await sessionUserId(req(`theme=dark; ${await cookieFor("user-a", 3600)}`))).toBe("user-a");
    const secure = await cookieFor("user-b", 3600, `__Secure-${COOKIE}`);
    expect(await sessionUserId(req(secure))).toBe("user-b");
    expect(await sessionUserId(req())).toBeNull();
    expect(await sessionUserId(req("theme=dark"))).toBeNull();
  });

  it("refuses a cookie sealed with another secret, a tampered one and one under the wrong name", async () => {
    expect(
      await sessionUserId(req(await cookieFor("x", 3600, COOKIE, "another-secret-of-16+chars"))),
    ).toBeNull();
    const good = await cookieFor("user-c", 3600);
    const tampered = `${good.slice(0, -6)}${good.slice(-6) === "AAAAAA" ? "BBBBBB" : "AAAAAA"}`;
    expect(await sessionUserId(req(tampered))).toBeNull();
    // The key is derived with the cookie name as salt: a secure token sent as the plain cookie fails.
    const secureToken = (await cookieFor("user-d", 3600, `__Secure-${COOKIE}`)).split("=")[1];
    expect(await sessionUserId(req(`${COOKIE}=${secureToken}`))).toBeNull();
  });

  it("never serves a cached session past the token's expiry", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = new Date("2026-11-22T12:00:00Z").getTime();
    vi.setSystemTime(t0);
    const cookie = await cookieFor("user-e", 30); // expires 30 s after t0
    expect(await sessionUserId(req(cookie), t0)).toBe("user-e");
    vi.setSystemTime(t0 + 20_000);
    expect(await sessionUserId(req(cookie), t0 + 20_000)).toBe("user-e");
    // Auth.js allows 15 s of clock skew past exp; the cache (60 s) must not stretch it further.
    vi.setSystemTime(t0 + 46_000);
    expect(await sessionUserId(req(cookie), t0 + 46_000)).toBeNull();
  });

  it("reassembles a chunked session cookie", async () => {
    const [, token] = (await cookieFor("user-f", 3600)).split("=") as [string, string];
    const half = Math.floor(token.length / 2);
    const chunked = `${COOKIE}.0=${token.slice(0, half)}; other=1; ${COOKIE}.1=${token.slice(half)}`;
    expect(await sessionUserId(req(chunked))).toBe("user-f");
  });
});

describe("session cookies behind an https public URL", () => {
  // Auth.js itself (the library auth.ts configures) signs in with the cookie options auth.ts passes;
  // the request reaches the app as plain http, as it does behind a proxy that does not forward the scheme.
  async function signInCookie(publicUrl: string | undefined): Promise<string> {
    const config: AuthConfig = {
      secret: env.AUTH_SECRET,
      trustHost: true,
      basePath: "/api/auth",
      session: { strategy: "jwt" },
      providers: [Credentials({ credentials: { email: {} }, authorize: () => ({ id: "user-s" }) })],
      // What auth.ts's jwt callback adds at sign-in (a session row's id and the user's version).
      callbacks: { jwt: ({ token }) => ({ ...token, sid: "sid-s", sv: 0 }) },
      ...sessionCookieOptions(publicUrl),
    };
    const base = "http://10.0.0.5:3000/api/auth";
    const csrf = await Auth(new Request(`${base}/csrf`), config);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookie = csrf.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const res = await Auth(
      new Request(`${base}/callback/credentials`, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrfToken, email: "s@example.test" }),
      }),
      config,
    );
    const session = res.headers.getSetCookie().find((c) => c.includes("authjs.session-token="));
    if (!session) throw new Error(`no session cookie (status ${res.status})`);
    return session;
  }

  it("https: the cookie is __Secure- and Secure, and the API's session decoder reads it", async () => {
    const setCookie = await signInCookie("https://hens.example.org");
    expect(setCookie.startsWith(`__Secure-${COOKIE}=`)).toBe(true);
    expect(setCookie).toMatch(/;\s*Secure/i);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(await sessionUserId(req(setCookie.split(";")[0]))).toBe("user-s");
  });

  it("http: the plain cookie, without Secure (a plain-http install keeps working)", async () => {
    const setCookie = await signInCookie("http://localhost:3000");
    expect(setCookie.startsWith(`${COOKIE}=`)).toBe(true);
    expect(setCookie).not.toMatch(/;\s*Secure/i);
    expect(await sessionUserId(req(setCookie.split(";")[0]))).toBe("user-s");
  });
});
