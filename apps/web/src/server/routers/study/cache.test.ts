import { describe, expect, it } from "vitest";
import { cachedStudyRead } from "./cache";

describe("cachedStudyRead", () => {
  it("shares one load per key while fresh, keeps orgs apart, reloads after the TTL or a failure", async () => {
    let loads = 0;
    const load = async () => ++loads;
    const t = 1_000_000;
    expect(await cachedStudyRead("org-a", "s1", "k", load, t)).toBe(1);
    expect(await cachedStudyRead("org-a", "s1", "k", load, t + 100)).toBe(1);
    expect(await cachedStudyRead("org-b", "s1", "k", load, t + 100)).toBe(2);
    expect(await cachedStudyRead("org-a", "s1", "other", load, t + 100)).toBe(3);
    expect(await cachedStudyRead("org-a", "s1", "k", load, t + 5000)).toBe(4);
    const failing = cachedStudyRead("org-a", "s2", "k", () => Promise.reject(new Error("no")), t);
    await expect(failing).rejects.toThrow("no");
    expect(await cachedStudyRead("org-a", "s2", "k", load, t + 1)).toBe(5);
  });
});
