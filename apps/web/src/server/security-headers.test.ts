import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { proxy } from "../proxy";
import { contentSecurityPolicy, isHttpsUrl, newNonce, securityHeaders } from "./security-headers";

const directives = (csp: string) =>
  new Map(
    csp.split(";").map((d) => {
      const [name = "", ...values] = d.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );

describe("securityHeaders", () => {
  it("sets the fixed headers on every response", () => {
    const h = securityHeaders("n0nce", { publicUrl: "http://localhost:3000", development: false });
    expect(h["X-Frame-Options"]).toBe("DENY");
    expect(h["X-Content-Type-Options"]).toBe("nosniff");
    expect(h["Referrer-Policy"]).toBe("strict-origin-when-cross-origin");
    expect(h["Permissions-Policy"]).toContain("camera=()");
    expect(h["Cross-Origin-Opener-Policy"]).toBe("same-origin");
  });

  it("HSTS and upgrade-insecure-requests only when the public URL is https", () => {
    const http = securityHeaders("n", { publicUrl: "http://hens.lab:3000", development: false });
    expect(http["Strict-Transport-Security"]).toBeUndefined();
    expect(directives(http["Content-Security-Policy"] ?? "").has("upgrade-insecure-requests")).toBe(false);
    const none = securityHeaders("n", { publicUrl: undefined, development: false });
    expect(none["Strict-Transport-Security"]).toBeUndefined();
    const https = securityHeaders("n", { publicUrl: "https://hens.example.org", development: false });
    expect(https["Strict-Transport-Security"]).toBe("max-age=31536000");
    expect(directives(https["Content-Security-Policy"] ?? "").has("upgrade-insecure-requests")).toBe(true);
    expect(isHttpsUrl("not a url")).toBe(false);
  });

  it("the CSP allows scripts by this response's nonce and 'self' only; no inline script, no framing", () => {
    const csp = directives(contentSecurityPolicy("abc123", { publicUrl: undefined, development: false }));
    expect(csp.get("script-src")).toEqual(["'self'", "'nonce-abc123'"]);
    expect(csp.get("default-src")).toEqual(["'self'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'self'"]);
    expect(csp.get("form-action")).toEqual(["'self'"]);
    expect(csp.get("connect-src")).toEqual(["'self'"]);
    // React's style attributes (charts) need inline styles; inline scripts stay refused.
    expect(csp.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
    expect([...csp.values()].flat()).not.toContain("'unsafe-eval'");
  });

  it("development adds eval (React's debug stacks) and websockets (HMR); providers extend form-action", () => {
    const csp = directives(
      contentSecurityPolicy("n", {
        publicUrl: undefined,
        development: true,
        formActionOrigins: ["https://github.com"],
      }),
    );
    expect(csp.get("script-src")).toContain("'unsafe-eval'");
    expect(csp.get("connect-src")).toEqual(["'self'", "ws:", "wss:"]);
    expect(csp.get("form-action")).toEqual(["'self'", "https://github.com"]);
  });

  it("nonces are 128-bit and fresh", () => {
    const a = newNonce();
    expect(Buffer.from(a, "base64")).toHaveLength(16);
    expect(newNonce()).not.toBe(a);
  });
});

describe("proxy", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it("gives pages and API routes the headers, and Next the nonce through the request's CSP", () => {
    for (const path of ["/o/demo/studies", "/api/trpc/org.mine", "/api/v1/me", "/_next/static/x.js"]) {
      const res = proxy(new NextRequest(`http://localhost:3000${path}`));
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce, path).toBeDefined();
      expect(res.headers.get("X-Frame-Options")).toBe("DENY");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      // NextResponse.next({ request: { headers } }) forwards request headers as x-middleware-request-*.
      expect(res.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
      expect(res.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
    }
    const first = proxy(new NextRequest("http://localhost:3000/")).headers.get("Content-Security-Policy");
    const second = proxy(new NextRequest("http://localhost:3000/")).headers.get("Content-Security-Policy");
    expect(first).not.toBe(second);
  });

  it("a client cannot choose the nonce", () => {
    const res = proxy(new NextRequest("http://localhost:3000/", { headers: { "x-nonce": "attacker" } }));
    expect(res.headers.get("x-middleware-request-x-nonce")).not.toBe("attacker");
  });

  it("behind an https AUTH_URL adds HSTS", async () => {
    vi.resetModules();
    vi.stubEnv("AUTH_URL", "https://hens.example.org");
    const { proxy: httpsProxy } = await import("../proxy");
    const res = httpsProxy(new NextRequest("http://10.0.0.5:3000/api/health"));
    expect(res.headers.get("Strict-Transport-Security")).toBe("max-age=31536000");
  });
});
