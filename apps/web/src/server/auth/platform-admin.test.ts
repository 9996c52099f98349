import { describe, expect, it } from "vitest";
import { isPlatformAdmin, platformAdminAccess } from "./platform-admin";

describe("isPlatformAdmin", () => {
  it("matches listed emails only, case-insensitively; nobody when the list is unset", () => {
    const admins = "ops@example.test, Root@Example.test  sre@example.test";
    expect(isPlatformAdmin("ops@example.test", admins)).toBe(true);
    expect(isPlatformAdmin("root@example.test", admins)).toBe(true);
    expect(isPlatformAdmin("sre@example.test", admins)).toBe(true);
    expect(isPlatformAdmin("member@example.test", admins)).toBe(false);
    expect(isPlatformAdmin("ops@example.test", undefined)).toBe(false);
    expect(isPlatformAdmin(undefined, admins)).toBe(false);
    expect(isPlatformAdmin("", "")).toBe(false);
  });
});

describe("platformAdminAccess", () => {
  it("tells admins, signed-in others and anonymous requests apart", () => {
    const admins = "ops@example.test";
    expect(platformAdminAccess({ user: { email: "OPS@example.test" } }, admins)).toBe("admin");
    expect(platformAdminAccess({ user: { email: "member@example.test" } }, admins)).toBe("forbidden");
    expect(platformAdminAccess({ user: { email: "ops@example.test" } }, undefined)).toBe("forbidden");
    expect(platformAdminAccess({ user: {} }, admins)).toBe("anonymous");
    expect(platformAdminAccess(null, admins)).toBe("anonymous");
    expect(platformAdminAccess(undefined, admins)).toBe("anonymous");
  });
});
