import { describe, expect, it } from "vitest";
import { isCrossSiteRequest } from "./csrf";

const req = (headers: Record<string, string>) =>
  new Request("https://hens.example.org/api/trpc/token.create", { method: "POST", headers });

describe("isCrossSiteRequest", () => {
  it("trusts Sec-Fetch-Site when the browser sends it", () => {
    expect(isCrossSiteRequest(req({ "sec-fetch-site": "same-origin" }))).toBe(false);
    expect(isCrossSiteRequest(req({ "sec-fetch-site": "none" }))).toBe(false);
    expect(isCrossSiteRequest(req({ "sec-fetch-site": "cross-site" }))).toBe(true);
    expect(isCrossSiteRequest(req({ "sec-fetch-site": "same-site" }))).toBe(true);
    // A proxy that rewrote Host does not turn a same-origin browser request into a refusal.
    expect(
      isCrossSiteRequest(req({ "sec-fetch-site": "same-origin", origin: "https://public.example" })),
    ).toBe(false);
  });

  it("falls back to Origin, and lets header-less clients (curl) through", () => {
    expect(isCrossSiteRequest(req({ origin: "https://hens.example.org" }))).toBe(false);
    expect(isCrossSiteRequest(req({ origin: "https://evil.example" }))).toBe(true);
    expect(isCrossSiteRequest(req({ origin: "null" }))).toBe(true);
    expect(isCrossSiteRequest(req({}))).toBe(false);
  });
});
