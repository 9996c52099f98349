// The quickstart signs sessions with its own secret, created once under .data/ and reused; a cookie
// sealed with the public development secret (what quickstarts used before) gets nobody signed in.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { encode } from "next-auth/jwt";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { authSecretProblem, DEV_AUTH_SECRET } from "../../apps/web/src/server/auth/secret.ts";
import { AUTH_SECRET_FILE, quickstartAuthSecret } from "./auth-secret.ts";
import { quickstartAppEnv } from "./services.ts";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "hens-secret-"));
  dirs.push(d);
  return path.join(d, ".data");
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("quickstartAuthSecret", () => {
  it("creates a random secret once, mode 0600, and reuses it on later runs", () => {
    const dataDir = tempDir();
    const first = quickstartAuthSecret(dataDir, undefined);
    expect(first.source).toBe("created");
    expect(first.file).toBe(path.join(dataDir, AUTH_SECRET_FILE));
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(authSecretProblem(first.secret)).toBeNull();
    const second = quickstartAuthSecret(dataDir, undefined);
    expect(second).toEqual({ ...first, source: "kept" });
    expect(readFileSync(first.file, "utf8").trim()).toBe(first.secret);
    // another install gets another secret
    expect(quickstartAuthSecret(tempDir(), undefined).secret).not.toBe(first.secret);
  });

  it("tightens a kept file readable by others and refuses an empty one", () => {
    const dataDir = tempDir();
    const { file, secret } = quickstartAuthSecret(dataDir, undefined);
    chmodSync(file, 0o644); // as a copy restored without its mode would be
    expect(quickstartAuthSecret(dataDir, undefined).secret).toBe(secret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, "\n");
    expect(() => quickstartAuthSecret(dataDir, undefined)).toThrow(/auth-secret is empty/);
  });

  it("an AUTH_SECRET from the environment wins and writes nothing", () => {
    const dataDir = tempDir();
    const mine = quickstartAuthSecret(dataDir, "operator-chosen");
    expect(mine.source).toBe("environment");
    expect(mine.secret).toBe("operator-chosen");
    expect(() => statSync(mine.file)).toThrow();
  });
});

describe("a quickstart-configured web", () => {
  it("passes production validation and refuses a cookie sealed with the public development secret", async () => {
    const { secret } = quickstartAuthSecret(tempDir(), undefined);
    const appEnv = quickstartAppEnv(
      { databaseUrl: "postgresql://unused@127.0.0.1:1/unused", redisUrl: undefined },
      { port: 3000, authSecret: secret, base: { PATH: "/bin", HENS_ALLOW_DEV_SECRET: "1" } },
    );
    expect(appEnv["HENS_ALLOW_DEV_SECRET"]).toBeUndefined();
    expect(appEnv["NODE_ENV"]).toBe("production");
    for (const [k, v] of Object.entries(appEnv)) vi.stubEnv(k, v);
    vi.resetModules();
    // Imported after the environment is in place: env.ts validates it once, as the server does.
    const { env } = await import("../../apps/web/src/env.ts");
    // The decoding half of the session check (whether the session still holds needs its database row).
    const { decodeSessionCookie } = await import("../../apps/web/src/server/auth/session.ts");
    const sessionUserId = async (req: Request) => (await decodeSessionCookie(req))?.sub ?? null;
    expect(env.AUTH_SECRET).toBe(secret);

    const name = "authjs.session-token";
    const cookie = async (sealWith: string) =>
      `${name}=${await encode({ token: { sub: "owner-of-another-org", sid: "s", sv: 0 }, secret: sealWith, salt: name, maxAge: 3600 })}`;
    const request = (c: string) =>
      new Request("http://localhost/api/trpc/org.mine", { headers: { cookie: c } });
    expect(await sessionUserId(request(await cookie(DEV_AUTH_SECRET)))).toBeNull();
    expect(await sessionUserId(request(await cookie(secret)))).toBe("owner-of-another-org");
  });
});
