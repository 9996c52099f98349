import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { metricsRefusal } from "./metrics";

const TOKEN = "0123456789abcdef0123456789abcdef";
const scrape = (authorization?: string) =>
  new Request("http://hens.test/api/metrics", authorization ? { headers: { authorization } } : {});

describe("metricsRefusal", () => {
  it("with HENS_METRICS_TOKEN set: the bearer token passes, anything else is 401 with a challenge", async () => {
    const options = { token: TOKEN, production: true };
    expect(metricsRefusal(scrape(`Bearer ${TOKEN}`), options)).toBeNull();
    expect(metricsRefusal(scrape(`bearer  ${TOKEN} `), options)).toBeNull();
    for (const header of [undefined, "Bearer nope", `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, "Bearer "]) {
      const refused = metricsRefusal(scrape(header), options);
      expect(refused?.status, String(header)).toBe(401);
      expect(refused?.headers.get("WWW-Authenticate")).toBe('Bearer realm="metrics"');
      expect(await refused?.text()).not.toContain(TOKEN);
    }
    // The token is required in development too once it is set.
    expect(metricsRefusal(scrape(), { token: TOKEN, production: false })?.status).toBe(401);
  });

  it("without a token: off (404) in production, open in development and tests", () => {
    expect(metricsRefusal(scrape(), { token: undefined, production: true })?.status).toBe(404);
    expect(metricsRefusal(scrape("Bearer anything"), { token: undefined, production: true })?.status).toBe(
      404,
    );
    expect(metricsRefusal(scrape(), { token: undefined, production: false })).toBeNull();
  });
});

describe("scrapeRefusal (the route's check)", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  async function checkWith(env: Record<string, string>) {
    vi.resetModules();
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    return (await import("./metrics")).scrapeRefusal;
  }

  it("reads HENS_METRICS_TOKEN from the environment", async () => {
    const check = await checkWith({ HENS_METRICS_TOKEN: TOKEN });
    expect(check(scrape())?.status).toBe(401);
    expect(check(scrape(`Bearer ${TOKEN}`))).toBeNull();
  });

  it("is off in production without a token, open in tests without one", async () => {
    expect((await checkWith({}))(scrape())).toBeNull();
    const check = await checkWith({
      NODE_ENV: "production",
      AUTH_SECRET: randomBytes(32).toString("base64url"),
    });
    expect(check(scrape())?.status).toBe(404);
  });
});
