import { describe, expect, it } from "vitest";
import { safeCallbackUrl, signInUrl } from "./callback-url";

describe("callbackUrl", () => {
  it("keeps a page of this site with its query", () => {
    expect(safeCallbackUrl("/o/demo/studies/abc?trial=3&tsort=L1")).toBe(
      "/o/demo/studies/abc?trial=3&tsort=L1",
    );
    expect(signInUrl("/o/demo/compare?ids=a,b")).toBe(
      "/signin?callbackUrl=%2Fo%2Fdemo%2Fcompare%3Fids%3Da%2Cb",
    );
  });

  it("refuses other hosts, schemes, loops and junk", () => {
    for (const bad of [
      "https://evil.example/",
      "//evil.example/x",
      "/\\evil.example",
      "javascript:alert(1)",
      "/signin",
      "/signin?callbackUrl=/x",
      "/a\nb",
      "",
      42,
      undefined,
      `/${"a".repeat(3000)}`,
    ])
      expect(safeCallbackUrl(bad)).toBe("/");
    expect(signInUrl(null)).toBe("/signin");
    expect(signInUrl("/")).toBe("/signin");
  });
});
