import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseWebEnv } from "../../env";
import { authSecretProblem, DEV_AUTH_SECRET, secretBytes, weakSecretProblem } from "./secret";

const production = (AUTH_SECRET?: string) =>
  parseWebEnv({ NODE_ENV: "production", ...(AUTH_SECRET === undefined ? {} : { AUTH_SECRET }) });

describe("AUTH_SECRET in production", () => {
  it.each([
    ["the development default", DEV_AUTH_SECRET],
    ["the Kubernetes placeholder", "CHANGE_ME_run_openssl_rand_base64_32"],
    ["a change-me variant", "please-change-me-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c1e"],
    ["a placeholder word", "placeholder-value-for-the-auth-key-0123456789"],
    ["a test secret", "infra-test-secret-0123456789abcdef"],
    ["the generator command itself", "openssl rand -base64 32"],
    ["16 random bytes (base64)", randomBytes(16).toString("base64")],
    ["31 random bytes (hex)", randomBytes(31).toString("hex")],
    ["a short word", "hunter2hunter2hunter2"],
    ["one repeated character", "a".repeat(64)],
    ["a repeated pattern", "0123456789abcdef".repeat(4)],
    ["few distinct characters", "ghijklmnopqghijklmnopqhgjiklmnopqghijklmnopqghijklmnopqghijk"],
  ])("refuses %s, naming AUTH_SECRET", (_, secret) => {
    expect(authSecretProblem(secret)).toMatch(/^AUTH_SECRET /);
    expect(() => production(secret)).toThrow(/AUTH_SECRET/);
  });

  it("refuses an unset secret (the development default would sign sessions)", () => {
    expect(() => production()).toThrow(/AUTH_SECRET is not set/);
  });

  it("accepts random secrets of 32 bytes in base64, base64url and hex", () => {
    // Bounded run count: each draw is a fresh random secret of the size the docs recommend.
    for (let i = 0; i < 200; i++) {
      for (const secret of [
        randomBytes(32).toString("base64"),
        randomBytes(32).toString("base64url"),
        randomBytes(32).toString("hex"),
      ]) {
        expect(authSecretProblem(secret), secret).toBeNull();
      }
    }
    const secret = randomBytes(32).toString("base64url");
    expect(production(secret).AUTH_SECRET).toBe(secret);
  });

  it("names the variable it checks (the same rules serve other secrets)", () => {
    expect(weakSecretProblem("HENS_METRICS_TOKEN", "CHANGE_ME_run_openssl_rand_hex_32")).toMatch(
      /^HENS_METRICS_TOKEN looks like a placeholder/,
    );
    expect(weakSecretProblem("HENS_METRICS_TOKEN", randomBytes(32).toString("hex"))).toBeNull();
  });

  it("refuses the manifests' metrics-token placeholder in production", () => {
    const base = { NODE_ENV: "production", AUTH_SECRET: randomBytes(32).toString("base64url") };
    expect(() => parseWebEnv({ ...base, HENS_METRICS_TOKEN: "CHANGE_ME_run_openssl_rand_hex_32" })).toThrow(
      /HENS_METRICS_TOKEN looks like a placeholder/,
    );
    const token = randomBytes(32).toString("hex");
    expect(parseWebEnv({ ...base, HENS_METRICS_TOKEN: token }).HENS_METRICS_TOKEN).toBe(token);
  });

  it("counts decoded bytes, not characters", () => {
    expect(secretBytes(randomBytes(32).toString("hex"))).toBe(32);
    expect(secretBytes(randomBytes(32).toString("base64"))).toBe(32);
    expect(secretBytes(randomBytes(32).toString("base64url"))).toBe(32);
    expect(secretBytes("é".repeat(20))).toBe(40);
  });

  it("builds without a secret and lets development and tests use the default", () => {
    expect(parseWebEnv({ NODE_ENV: "production", NEXT_PHASE: "phase-production-build" }).AUTH_SECRET).toBe(
      DEV_AUTH_SECRET,
    );
    expect(parseWebEnv({ NODE_ENV: "development" }).AUTH_SECRET).toBe(DEV_AUTH_SECRET);
    expect(parseWebEnv({ NODE_ENV: "test" }).AUTH_SECRET).toBe(DEV_AUTH_SECRET);
  });

  it("ignores the removed HENS_ALLOW_DEV_SECRET escape hatch", () => {
    expect(() =>
      parseWebEnv({ NODE_ENV: "production", AUTH_SECRET: DEV_AUTH_SECRET, HENS_ALLOW_DEV_SECRET: "1" }),
    ).toThrow(/development default/);
  });
});

describe("throttle variables", () => {
  it("default and refuse nonsense with the variable's name", () => {
    const env = parseWebEnv({ NODE_ENV: "test" });
    expect(env.HENS_SIGNIN_ACCOUNT_ATTEMPTS).toBe(10);
    expect(env.HENS_TRUSTED_PROXY_HOPS).toBe(0);
    expect(() => parseWebEnv({ HENS_SIGNIN_ADDRESS_ATTEMPTS: "0" })).toThrow(/HENS_SIGNIN_ADDRESS_ATTEMPTS/);
    expect(() => parseWebEnv({ HENS_TRUSTED_PROXY_HOPS: "two" })).toThrow(/HENS_TRUSTED_PROXY_HOPS/);
  });
});
